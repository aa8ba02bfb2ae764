package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy and GetBucketPolicyStatus, with the policy
 * kept at the coordinator for every site ({@link Gateway#bucketSetting}), and the policy of a
 * bucket for {@link S3Service} to evaluate each request by.
 *
 * <p>Thread-safe: the parsed policies are kept per bucket as immutable values, parsed again when
 * the stored document changes.
 */
final class PolicyOperations {
  static final String KIND = "policy";

  /** S3's limit on a bucket policy: 20 KB. */
  private static final int MAX_POLICY = 20 * 1024;

  private record Parsed(byte[] document, BucketPolicy policy) {}

  private final Gateway gateway;
  private final ConcurrentHashMap<String, Parsed> parsed = new ConcurrentHashMap<>();

  PolicyOperations(Gateway gateway) {
    this.gateway = gateway;
  }

  void put(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    byte[] document = Bodies.small(request, exchange, auth, MAX_POLICY);
    BucketPolicy policy = BucketPolicy.parse(document, bucket); // whole, or refused
    if (policy.isPublic() && accessBlock(bucket)[BLOCK_PUBLIC_POLICY]) {
      throw S3Error.ACCESS_DENIED.exception(
          "The bucket's public access block (BlockPublicPolicy) refuses a public policy.");
    }
    gateway.setBucketSetting(bucket, KIND, document);
    Replies.empty(exchange, HttpResponseStatus.NO_CONTENT);
  }

  void get(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    byte[] document = gateway.bucketSetting(bucket, KIND);
    if (document == null) {
      throw S3Error.NO_SUCH_BUCKET_POLICY.exception().with("BucketName", bucket);
    }
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    exchange.respond(HttpResponseStatus.OK, headers, document);
  }

  void delete(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    gateway.setBucketSetting(bucket, KIND, null);
    Replies.empty(exchange, HttpResponseStatus.NO_CONTENT);
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

  static final String BLOCK_KIND = "publicAccessBlock";
  private static final String[] SWITCHES = {
    "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"
  };
  private static final int BLOCK_PUBLIC_POLICY = 2;
  private static final int RESTRICT_PUBLIC_BUCKETS = 3;

  /**
   * PutPublicAccessBlock. Of its four switches, two act on what a site has: {@code
   * BlockPublicPolicy} refuses a public policy, and {@code RestrictPublicBuckets} lets only the
   * owner's and the site's scoped keys use a bucket whose policy is public. ACLs here are the
   * owner's alone, so {@code BlockPublicAcls} and {@code IgnorePublicAcls} hold by themselves.
   */
  void putAccessBlock(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    boolean[] on = XmlRequests.publicAccessBlock(Bodies.small(request, exchange, auth, MAX_POLICY));
    Xml xml = Xml.document("PublicAccessBlockConfiguration");
    for (int i = 0; i < SWITCHES.length; i++) {
      xml.element(SWITCHES[i], on[i]);
    }
    gateway.setBucketSetting(
        bucket, BLOCK_KIND, xml.close("PublicAccessBlockConfiguration").bytes());
    Replies.empty(exchange, HttpResponseStatus.OK);
  }

  void getAccessBlock(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    byte[] document = gateway.bucketSetting(bucket, BLOCK_KIND);
    if (document == null) {
      throw S3Error.NO_SUCH_PUBLIC_ACCESS_BLOCK_CONFIGURATION
          .exception()
          .with("BucketName", bucket);
    }
    Replies.xml(exchange, HttpResponseStatus.OK, new DefaultHttpHeaders(), document);
  }

  void deleteAccessBlock(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    gateway.setBucketSetting(bucket, BLOCK_KIND, null);
    Replies.empty(exchange, HttpResponseStatus.NO_CONTENT);
  }

  /**
   * Whether a public policy of {@code bucket} lets in only the owner's and scoped keys ({@code
   * RestrictPublicBuckets}).
   */
  boolean restrictsPublic(String bucket) {
    BucketPolicy policy = of(bucket);
    return policy != null && policy.isPublic() && accessBlock(bucket)[RESTRICT_PUBLIC_BUCKETS];
  }

  private boolean[] accessBlock(String bucket) {
    byte[] document = gateway.bucketSetting(bucket, BLOCK_KIND);
    return document == null
        ? new boolean[SWITCHES.length]
        : XmlRequests.publicAccessBlock(document);
  }

  /** The bucket's policy, or null if it has none. */
  @Nullable BucketPolicy of(String bucket) {
    byte[] document = gateway.bucketSetting(bucket, KIND);
    if (document == null) {
      parsed.remove(bucket);
      return null;
    }
    Parsed p = parsed.get(bucket);
    if (p == null || !Arrays.equals(p.document(), document)) {
      p = new Parsed(document, BucketPolicy.parse(document, bucket));
      parsed.put(bucket, p);
    }
    return p.policy();
  }
}
