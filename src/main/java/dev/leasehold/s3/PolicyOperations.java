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
    BucketPolicy.parse(document, bucket); // refused whole if any part is not understood
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
