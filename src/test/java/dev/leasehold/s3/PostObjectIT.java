package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.HandSigner;
import dev.leasehold.testkit.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Browser uploads (Amazon S3 API reference, "POST Object", "Creating a POST Policy" and "Example:
 * Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)"), sent as a browser's form
 * would be: uploaded at one site, read at the other; every condition of the policy enforced, with
 * nothing written when one fails.
 */
class PostObjectIT {
  static LocalCluster cluster;
  static S3Client a;
  static S3Client b;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final HandSigner SIGNER = new HandSigner(LocalCluster.CREDENTIALS);

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

  static String policy(String bucket, String expiration, String... conditions) {
    return """
    {"expiration": "%s", "conditions": [{"bucket": "%s"}, %s]}
    """
        .formatted(expiration, bucket, String.join(", ", conditions));
  }

  static String tomorrow() {
    return Instant.now().plusSeconds(86_400).toString();
  }

  @Test
  void aSignedFormUploadsWithItsMetadataAndIsReadAtTheOtherSite() throws Exception {
    String bucket = Data.bucket(a);
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("key", "uploads/${filename}");
    fields.put("Content-Type", "text/plain");
    fields.put("x-amz-meta-colour", "blue");
    fields.put("success_action_status", "201");
    fields.putAll(
        SIGNER.postPolicy(
            policy(
                bucket,
                tomorrow(),
                "[\"starts-with\", \"$key\", \"uploads/\"]",
                "{\"Content-Type\": \"text/plain\"}",
                "{\"x-amz-meta-colour\": \"blue\"}",
                "{\"success_action_status\": \"201\"}",
                "[\"content-length-range\", 1, 1000]")));
    HttpResponse<String> posted =
        post(cluster.s3(0), bucket, fields, "hello.txt", "uploaded from a form");
    assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);
    assertThat(posted.body())
        .contains("<Bucket>" + bucket + "</Bucket>")
        .contains("<Key>uploads/hello.txt</Key>");
    var got = b.getObjectAsBytes(g -> g.bucket(bucket).key("uploads/hello.txt"));
    assertThat(got.asUtf8String()).isEqualTo("uploaded from a form");
    assertThat(got.response().contentType()).isEqualTo("text/plain");
    assertThat(got.response().metadata()).containsEntry("colour", "blue");
    assertThat(posted.headers().firstValue("ETag")).hasValue(got.response().eTag());

    // success_action_redirect: 303 to the page named, with the bucket, key and ETag.
    Map<String, String> redirected = new LinkedHashMap<>();
    redirected.put("key", "uploads/redirected");
    redirected.put("success_action_redirect", "http://127.0.0.1/done");
    redirected.putAll(
        SIGNER.postPolicy(
            policy(
                bucket,
                tomorrow(),
                "[\"starts-with\", \"$key\", \"uploads/\"]",
                "[\"starts-with\", \"$success_action_redirect\", \"http://127.0.0.1/\"]")));
    HttpResponse<String> redirect = post(cluster.s3(1), bucket, redirected, "r.bin", "r");
    assertThat(redirect.statusCode()).isEqualTo(303);
    assertThat(redirect.headers().firstValue("Location").orElseThrow())
        .startsWith("http://127.0.0.1/done?bucket=" + bucket + "&key=uploads%2Fredirected&etag=");
    assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("uploads/redirected")).asUtf8String())
        .isEqualTo("r");
  }

  @Test
  void everyConditionIsEnforcedAndAFailedFormWritesNothing() throws Exception {
    String bucket = Data.bucket(a);
    String conditions = "[\"starts-with\", \"$key\", \"in/\"]";
    record Case(String why, Map<String, String> fields, String body, int status, String code) {}
    Map<String, String> good = new LinkedHashMap<>();
    good.put("key", "in/k");
    good.putAll(SIGNER.postPolicy(policy(bucket, tomorrow(), conditions)));

    Map<String, String> expired = new LinkedHashMap<>(good);
    expired.putAll(SIGNER.postPolicy(policy(bucket, "2020-01-01T00:00:00Z", conditions)));
    Map<String, String> extra = new LinkedHashMap<>(good);
    extra.put("x-amz-meta-unsigned", "x");
    Map<String, String> outside = new LinkedHashMap<>(good);
    outside.put("key", "out/k");
    Map<String, String> forged = new LinkedHashMap<>(good);
    forged.put("x-amz-signature", "0".repeat(64));
    Map<String, String> small = new LinkedHashMap<>();
    small.put("key", "in/k");
    small.putAll(
        SIGNER.postPolicy(
            policy(bucket, tomorrow(), conditions, "[\"content-length-range\", 0, 4]")));
    Map<String, String> otherBucket = new LinkedHashMap<>();
    otherBucket.put("key", "in/k");
    otherBucket.putAll(SIGNER.postPolicy(policy("another-bucket", tomorrow(), conditions)));
    Map<String, String> anonymous = Map.of("key", "in/k");

    for (Case c :
        new Case[] {
          new Case("expired", expired, "v", 403, "AccessDenied"),
          new Case("a field no condition names", extra, "v", 403, "AccessDenied"),
          new Case("a key outside the prefix", outside, "v", 403, "AccessDenied"),
          new Case("a forged signature", forged, "v", 403, "SignatureDoesNotMatch"),
          new Case("a file over the range", small, "12345", 400, "EntityTooLarge"),
          new Case("another bucket's policy", otherBucket, "v", 403, "AccessDenied"),
          new Case("unsigned, no bucket policy", anonymous, "v", 403, "AccessDenied")
        }) {
      HttpResponse<String> r = post(cluster.s3(0), bucket, c.fields(), "f", c.body());
      assertThat(r.statusCode()).as(c.why() + ": " + r.body()).isEqualTo(c.status());
      assertThat(r.body()).as(c.why()).contains("<Code>" + c.code() + "</Code>");
    }
    assertThat(a.listObjectsV2(l -> l.bucket(bucket)).contents()).isEmpty();

    HttpResponse<String> notAForm =
        HTTP.send(
            HttpRequest.newBuilder(cluster.s3(0).resolve("/" + bucket))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("key=k"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(notAForm.statusCode()).isEqualTo(412);

    // Within the range, with a good signature, the same form writes.
    HttpResponse<String> ok = post(cluster.s3(0), bucket, small, "f", "1234");
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(204);
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("in/k")).asUtf8String())
        .isEqualTo("1234");
  }

  /** An unsigned form is anonymous: it writes only where the bucket policy lets everyone put. */
  @Test
  void anUnsignedFormWritesWhereThePolicyAllowsEveryone() throws Exception {
    String bucket = Data.bucket(a);
    a.putBucketPolicy(r ->
        r.bucket(bucket)
            .policy(
                """
                {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                  "Resource": "arn:aws:s3:::%s/drop/*"}}
                """
                    .formatted(bucket)));
    HttpResponse<String> in = post(cluster.s3(0), bucket, Map.of("key", "drop/x"), "x", "x");
    assertThat(in.statusCode()).as(in.body()).isEqualTo(204);
    HttpResponse<String> out = post(cluster.s3(0), bucket, Map.of("key", "keep/x"), "x", "x");
    assertThat(out.statusCode()).isEqualTo(403);
    assertError(() -> a.headObject(h -> h.bucket(bucket).key("keep/x")), 404, "NoSuchKey");
  }

  /** Posts {@code fields}, then the file, as multipart/form-data (RFC 7578). */
  static HttpResponse<String> post(
      URI site, String bucket, Map<String, String> fields, String filename, String content)
      throws Exception {
    String boundary = "----leasehold" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (var f : fields.entrySet()) {
      body.writeBytes(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\""
                  + f.getKey()
                  + "\"\r\n\r\n"
                  + f.getValue()
                  + "\r\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    body.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                + content
                + "\r\n--"
                + boundary
                + "--\r\n")
            .getBytes(StandardCharsets.UTF_8));
    return HTTP.send(
        HttpRequest.newBuilder(site.resolve("/" + bucket))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
