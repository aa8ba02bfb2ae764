package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * A bucket's policy (PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy, GetBucketPolicyStatus)
 * and its public access block (Put/Get/DeletePublicAccessBlock), kept at the coordinator for every
 * site ({@link BucketDocument}), and both as {@link S3Service} decides each request by them.
 *
 * <p>The access block's four switches: {@code BlockPublicPolicy} refuses a public policy, {@code
 * RestrictPublicBuckets} lets no anonymous caller in through a public policy, {@code
 * BlockPublicAcls} refuses setting a public ACL and {@code IgnorePublicAcls} makes public grants
 * count for nothing ({@link AclOperations}).
 *
 * <p>Thread-safe: each document is parsed once per stored version ({@link BucketDocument}).
 */
final class PolicyOperations {
  /** S3's limit on a bucket policy: 20 KB. */
  private static final int MAX_POLICY = 20 * 1024;

  private static final String[] SWITCHES = {
    "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"
  };
  private static final int BLOCK_PUBLIC_ACLS = 0;
  private static final int IGNORE_PUBLIC_ACLS = 1;
  private static final int BLOCK_PUBLIC_POLICY = 2;
  private static final int RESTRICT_PUBLIC_BUCKETS = 3;

  private final Gateway gateway;
  private final BucketDocument<BucketPolicy> policies;
  private final BucketDocument<boolean[]> blocks;

  PolicyOperations(Gateway gateway) {
    this.gateway = gateway;
    this.policies =
        new BucketDocument<>(
            gateway,
            "policy",
            S3Error.NO_SUCH_BUCKET_POLICY,
            "application/json",
            (bucket, document) -> BucketPolicy.parse(document, bucket));
    this.blocks =
        new BucketDocument<>(
            gateway,
            "publicAccessBlock",
            S3Error.NO_SUCH_PUBLIC_ACCESS_BLOCK_CONFIGURATION,
            "application/xml",
            (bucket, document) -> XmlRequests.publicAccessBlock(document));
  }

  void put(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    byte[] document = Bodies.small(request, exchange, auth, MAX_POLICY);
    BucketPolicy policy = BucketPolicy.parse(document, bucket); // whole, or refused
    if (policy.isPublic() && switchOn(bucket, BLOCK_PUBLIC_POLICY)) {
      throw S3Error.ACCESS_DENIED.exception(
          "The bucket's public access block (BlockPublicPolicy) refuses a public policy.");
    }
    policies.put(bucket, document, exchange, HttpResponseStatus.NO_CONTENT);
  }

  void get(String bucket, Exchange exchange) throws IOException {
    policies.get(bucket, exchange);
  }

  void delete(String bucket, Exchange exchange) throws IOException {
    policies.delete(bucket, exchange);
  }

  void status(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    BucketPolicy policy = of(bucket);
    if (policy == null) {
      throw S3Error.NO_SUCH_BUCKET_POLICY.exception().with("BucketName", bucket);
    }
    Replies.xml(
        exchange,
        Xml.document("PolicyStatus").element("IsPublic", policy.isPublic()).close("PolicyStatus"));
  }

  void putAccessBlock(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    boolean[] on = XmlRequests.publicAccessBlock(Bodies.small(request, exchange, auth, MAX_POLICY));
    Xml xml = Xml.document("PublicAccessBlockConfiguration");
    for (int i = 0; i < SWITCHES.length; i++) {
      xml.element(SWITCHES[i], on[i]);
    }
    blocks.put(
        bucket,
        xml.close("PublicAccessBlockConfiguration").bytes(),
        exchange,
        HttpResponseStatus.OK);
  }

  void getAccessBlock(String bucket, Exchange exchange) throws IOException {
    blocks.get(bucket, exchange);
  }

  void deleteAccessBlock(String bucket, Exchange exchange) throws IOException {
    blocks.delete(bucket, exchange);
  }

  /**
   * Whether a public policy of {@code bucket} lets no anonymous caller in (RestrictPublicBuckets).
   */
  boolean restrictsPublic(String bucket) {
    BucketPolicy policy = of(bucket);
    return policy != null && policy.isPublic() && switchOn(bucket, RESTRICT_PUBLIC_BUCKETS);
  }

  /** Whether setting a public ACL on the bucket or its objects is refused. */
  boolean blocksPublicAcls(String bucket) {
    return switchOn(bucket, BLOCK_PUBLIC_ACLS);
  }

  /** Whether public grants of the bucket's and its objects' ACLs count for nothing. */
  boolean ignoresPublicAcls(String bucket) {
    return switchOn(bucket, IGNORE_PUBLIC_ACLS);
  }

  /** The bucket's policy, or null if it has none. */
  @Nullable BucketPolicy of(String bucket) {
    return policies.of(bucket);
  }

  private boolean switchOn(String bucket, int which) {
    boolean[] on = blocks.of(bucket);
    return on != null && on[which];
  }
}
