package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Anonymous;
import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;

/**
 * Bucket policies (Amazon S3 User Guide, "Bucket policies" and "Bucket policy examples"; IAM User
 * Guide, "Policy evaluation logic"): set at one site, they hold at the other; anonymous requests
 * are allowed exactly where a statement allows everyone; an explicit Deny refuses even the owner,
 * except the owner's own calls on the policy; conditions on the caller's address and on TLS are
 * evaluated; a policy the site does not understand is refused whole.
 */
class PolicyIT {
  static LocalCluster cluster;
  static S3Client a;
  static S3Client b;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    cluster = LocalCluster.builder().sites(2).start();
    a = cluster.client(0);
    b = cluster.client(1);
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
    cluster.close();
  }

  @Test
  void aPolicySetAtOneSiteOpensAPrefixToEveryoneAtTheOther() throws Exception {
    String bucket = Data.bucket(a);
    a.putObject(p -> p.bucket(bucket).key("public/a"), RequestBody.fromString("shared"));
    a.putObject(p -> p.bucket(bucket).key("private/b"), RequestBody.fromString("secret"));
    assertThat(anonymous("GET", bucket, "public/a").statusCode()).isEqualTo(403);

    a.putBucketPolicy(r ->
        r.bucket(bucket)
            .policy(
                """
                {"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead",
                  "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
                  "Resource": "arn:aws:s3:::%s/public/*"}]}
                """
                    .formatted(bucket)));
    Await.until(
        () -> anonymous("GET", bucket, "public/a").statusCode() == 200,
        cluster.ttl(),
        "site B to let everyone read public/ under the policy set at site A");
    HttpResponse<String> read = anonymous("GET", bucket, "public/a");
    assertThat(read.body()).isEqualTo("shared");
    assertThat(anonymous("GET", bucket, "private/b").statusCode()).isEqualTo(403);
    HttpResponse<String> put = anonymous("PUT", bucket, "public/new");
    assertThat(put.statusCode()).isEqualTo(403);
    assertThat(put.body()).contains("<Code>AccessDenied</Code>");
    assertThat(anonymous("GET", bucket, null).statusCode()).as("a listing").isEqualTo(403);
    assertError(() -> b.headObject(h -> h.bucket(bucket).key("public/new")), 404, "NoSuchKey");
    assertThat(b.getBucketPolicy(r -> r.bucket(bucket)).policy()).contains("PublicRead");

    assertThat(b.getBucketPolicyStatus(r -> r.bucket(bucket)).policyStatus().isPublic()).isTrue();

    // Even a policy that allows everyone everything leaves a bucket's configuration to its owner.
    a.putBucketPolicy(r ->
        r.bucket(bucket)
            .policy(
                """
                {"Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                  "Action": "s3:*", "Resource": ["arn:aws:s3:::%1$s", "arn:aws:s3:::%1$s/*"]}]}
                """
                    .formatted(bucket)));
    Await.until(
        () -> anonymous("PUT", bucket, "public/new").statusCode() == 200,
        cluster.ttl(),
        "site B to let everyone write");
    for (String subresource : new String[] {"?policy", "?cors", "?publicAccessBlock", "?tagging"}) {
      assertThat(anonymous("DELETE", bucket + subresource, null).statusCode())
          .as("anonymous DELETE " + subresource)
          .isEqualTo(403);
      assertThat(anonymous("GET", bucket + subresource, null).statusCode())
          .as("anonymous GET " + subresource)
          .isEqualTo(403);
    }
    assertThat(b.getBucketPolicy(r -> r.bucket(bucket)).policy()).contains("PublicRead");

    a.deleteBucketPolicy(r -> r.bucket(bucket));
    Await.until(
        () -> anonymous("GET", bucket, "public/a").statusCode() == 403,
        cluster.ttl(),
        "site B to close public/ again");
    assertError(() -> b.getBucketPolicy(r -> r.bucket(bucket)), 404, "NoSuchBucketPolicy");
  }

  /** An explicit Deny wins over the owner's own rights, key by key in a multi-object delete. */
  @Test
  void anExplicitDenyRefusesEvenTheOwnerButNotItsCallsOnThePolicy() throws Exception {
    String bucket = Data.bucket(a);
    for (String key : new String[] {"locked/k", "open/k"}) {
      a.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString("v"));
    }
    a.putBucketPolicy(r ->
        r.bucket(bucket)
            .policy(
                """
                {"Version": "2012-10-17", "Statement": [
                  {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:DeleteObject",
                   "Resource": "arn:aws:s3:::%1$s/locked/*"},
                  {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                   "Resource": "arn:aws:s3:::%1$s/tls-only/*",
                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
                """
                    .formatted(bucket)));
    assertError(() -> a.deleteObject(d -> d.bucket(bucket).key("locked/k")), 403, "AccessDenied");
    assertError(
        () -> a.putObject(p -> p.bucket(bucket).key("tls-only/x"), RequestBody.fromString("v")),
        403,
        "AccessDenied");
    var result =
        a.deleteObjects(d ->
            d.bucket(bucket)
                .delete(x ->
                    x.objects(
                        ObjectIdentifier.builder().key("locked/k").build(),
                        ObjectIdentifier.builder().key("open/k").build())));
    assertThat(result.deleted()).extracting(o -> o.key()).containsExactly("open/k");
    assertThat(result.errors())
        .singleElement()
        .satisfies(e -> {
          assertThat(e.key()).isEqualTo("locked/k");
          assertThat(e.code()).isEqualTo("AccessDenied");
        });
    Await.until(
        () -> {
          try {
            b.deleteObject(d -> d.bucket(bucket).key("locked/k"));
            return false;
          } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            return e.statusCode() == 403;
          }
        },
        cluster.ttl(),
        "site B to refuse the delete too");
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("locked/k")).asUtf8String())
        .isEqualTo("v");

    // A policy that denies everything still lets the owner take it away.
    a.putBucketPolicy(r ->
        r.bucket(bucket)
            .policy(
                """
                {"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                  "Resource": ["arn:aws:s3:::%1$s", "arn:aws:s3:::%1$s/*"]}}
                """
                    .formatted(bucket)));
    assertError(() -> a.getObject(g -> g.bucket(bucket).key("open/k")), 403, "AccessDenied");
    assertError(() -> a.listObjectsV2(l -> l.bucket(bucket)), 403, "AccessDenied");
    a.deleteBucketPolicy(r -> r.bucket(bucket));
    assertThat(a.listObjectsV2(l -> l.bucket(bucket)).contents())
        .extracting(o -> o.key())
        .containsExactly("locked/k");
  }

  /**
   * A bucket's tags and its public access block, set at one site, hold at the other (Amazon S3 User
   * Guide, "Blocking public access to your Amazon S3 storage": BlockPublicPolicy refuses a public
   * policy; RestrictPublicBuckets lets nobody outside the account use a bucket whose policy is
   * public).
   */
  @Test
  void tagsAndThePublicAccessBlockHoldAtEverySite() throws Exception {
    String bucket = Data.bucket(a);
    a.putBucketTagging(r ->
        r.bucket(bucket)
            .tagging(t ->
                t.tagSet(s -> s.key("team").value("data"), s -> s.key("cost centre").value("42"))));
    Await.until(
        () -> tagsAt(b, bucket).size() == 2, cluster.ttl(), "site B to see the bucket's tags");
    assertThat(tagsAt(b, bucket)).containsExactly("team=data", "cost centre=42");
    assertError(
        () ->
            a.putBucketTagging(r ->
                r.bucket(bucket)
                    .tagging(
                        t -> t.tagSet(s -> s.key("k").value("1"), s -> s.key("k").value("2")))),
        400,
        "InvalidTag");

    String open =
        """
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::%s/*"}}
        """
            .formatted(bucket);
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    a.putBucketPolicy(r -> r.bucket(bucket).policy(open));
    Await.until(
        () -> anonymous("GET", bucket, "k").statusCode() == 200,
        cluster.ttl(),
        "site B to open the bucket");
    a.putPublicAccessBlock(r ->
        r.bucket(bucket)
            .publicAccessBlockConfiguration(
                c -> c.blockPublicPolicy(true).restrictPublicBuckets(true)));
    assertError(() -> a.putBucketPolicy(r -> r.bucket(bucket).policy(open)), 403, "AccessDenied");
    Await.until(
        () -> anonymous("GET", bucket, "k").statusCode() == 403,
        cluster.ttl(),
        "site B to restrict the public bucket");
    var block = b.getPublicAccessBlock(r -> r.bucket(bucket)).publicAccessBlockConfiguration();
    assertThat(block.blockPublicPolicy()).isTrue();
    assertThat(block.restrictPublicBuckets()).isTrue();
    assertThat(block.blockPublicAcls()).isFalse();
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .as("the owner still reads")
        .isEqualTo("v");

    a.deletePublicAccessBlock(r -> r.bucket(bucket));
    Await.until(
        () -> anonymous("GET", bucket, "k").statusCode() == 200,
        cluster.ttl(),
        "site B to lift the restriction");
    a.deleteBucketTagging(r -> r.bucket(bucket));
    Await.until(
        () -> tagsAt(b, bucket).isEmpty(), cluster.ttl(), "site B to drop the bucket's tags");
  }

  /** The bucket's tags at {@code s3}, as key=value; none if it has none (404 NoSuchTagSet). */
  private static java.util.List<String> tagsAt(S3Client s3, String bucket) {
    try {
      return s3.getBucketTagging(r -> r.bucket(bucket)).tagSet().stream()
          .map(t -> t.key() + "=" + t.value())
          .toList();
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchTagSet");
      return java.util.List.of();
    }
  }

  /** {@code aws:SourceIp}: a statement for another network lets nobody from this one in. */
  @Test
  void sourceAddressConditions() throws Exception {
    String bucket = Data.bucket(a);
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    String policy =
        """
        {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::%s/*", "Condition": {"IpAddress": {"aws:SourceIp": "%s"}}}}
        """;
    a.putBucketPolicy(r -> r.bucket(bucket).policy(policy.formatted(bucket, "10.0.0.0/8")));
    assertThat(anonymousAt(cluster.s3(0), "GET", bucket, "k").statusCode()).isEqualTo(403);
    a.putBucketPolicy(r -> r.bucket(bucket).policy(policy.formatted(bucket, "127.0.0.0/8")));
    assertThat(anonymousAt(cluster.s3(0), "GET", bucket, "k").statusCode()).isEqualTo(200);
    assertThat(a.getBucketPolicyStatus(r -> r.bucket(bucket)).policyStatus().isPublic())
        .as("a condition narrows who may call")
        .isFalse();
  }

  @Test
  void policiesTheSiteDoesNotUnderstandAreRefusedWhole() {
    String bucket = Data.bucket(a);
    String[] bad = {
      "not json",
      "{\"Statement\": []}",
      "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\","
          + " \"Resource\": \"arn:aws:s3:::another-bucket/*\"}}",
      "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\","
          + " \"Resource\": \"arn:aws:s3:::"
          + bucket
          + "/*\", \"Condition\": {\"DateGreaterThan\": {\"aws:CurrentTime\": \"2030-01-01\"}}}}",
      "{\"Statement\": {\"Effect\": \"Deny\", \"NotPrincipal\": {\"AWS\": \"x\"}, \"Action\":"
          + " \"s3:*\", \"Resource\": \"arn:aws:s3:::"
          + bucket
          + "/*\"}}",
      "{\"Statement\": {\"Effect\": \"Maybe\", \"Principal\": \"*\", \"Action\": \"s3:*\","
          + " \"Resource\": \"arn:aws:s3:::"
          + bucket
          + "\"}}"
    };
    for (String policy : bad) {
      assertError(
          () -> a.putBucketPolicy(r -> r.bucket(bucket).policy(policy)), 400, "MalformedPolicy");
    }
    assertError(() -> a.getBucketPolicy(r -> r.bucket(bucket)), 404, "NoSuchBucketPolicy");
  }

  /**
   * Unsigned requests and preflights naming buckets nobody has are answered without a word to the
   * coordinator: anyone may send them, so they must not cost its log an entry each.
   */
  @Test
  void unsignedRequestsForMadeUpBucketsWriteNothingAtTheCoordinator() throws Exception {
    String coordinator = cluster.coordinators().get(cluster.leader()).clientAddress();
    long before = applied(coordinator);
    for (int i = 0; i < 40; i++) {
      HttpResponse<String> get = anonymousAt(cluster.s3(0), "GET", "made-up-" + i, "k");
      assertThat(get.statusCode()).isEqualTo(404);
      assertThat(get.body()).contains("<Code>NoSuchBucket</Code>");
      assertThat(
              CorsIT.preflight(cluster.s3(0), "made-up-" + i, "http://x.example", "GET", null)
                  .statusCode())
          .isEqualTo(404);
    }
    assertThat(applied(coordinator) - before)
        .as("log entries while 80 unsigned requests came (renewals only)")
        .isLessThan(10);
  }

  private static long applied(String coordinator) {
    return dev.leasehold.testkit.CoordinatorStatus.of(coordinator, java.time.Duration.ofSeconds(5))
        .getAppliedIndex();
  }

  private static HttpResponse<String> anonymous(String method, String bucket, String key) {
    return anonymousAt(cluster.s3(1), method, bucket, key);
  }

  /** An unsigned request, as a browser or curl sends one. */
  private static HttpResponse<String> anonymousAt(
      URI site, String method, String bucket, String key) {
    return Anonymous.request(site, method, bucket, key);
  }
}
