package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.RawHttp;
import dev.leasehold.testkit.S3Errors;
import dev.leasehold.testkit.Signer;
import dev.leasehold.testkit.Signer.Payload;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Signature V4 in all its forms, as real signers produce them: the Authorization header (the SDK,
 * with each payload mode), presigned URLs (with expiry), UNSIGNED-PAYLOAD, and aws-chunked uploads
 * with chunk signatures and signed or unsigned trailers. Anything wrongly signed gets the S3 error
 * and writes nothing.
 */
class SigV4IT {
  static LocalCluster cluster;
  static S3Client s3;
  static URI endpoint;
  static String bucket;

  @BeforeAll
  static void start() {
    cluster = LocalCluster.builder().start();
    s3 = cluster.client(0);
    endpoint = cluster.site(0).s3Endpoint();
    bucket = Data.bucket(s3);
  }

  @AfterAll
  static void stop() {
    s3.close();
    cluster.close();
  }

  @ParameterizedTest
  @EnumSource(Payload.class)
  void everyPayloadModeStoresTheBytes(Payload payload) throws Exception {
    byte[] body = Data.bytes(200_000 + payload.ordinal(), payload.ordinal());
    String key = "modes/" + payload;
    var signed =
        new Signer(LocalCluster.CREDENTIALS)
            .sign("PUT", endpoint, "/" + bucket + "/" + key, Map.of(), body, payload);
    String mode =
        switch (payload) {
          case SIGNED -> Authenticator.sha256Hex(body);
          case UNSIGNED -> "UNSIGNED-PAYLOAD";
          case STREAMING_SIGNED -> "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
          case STREAMING_SIGNED_TRAILER -> "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
          case STREAMING_UNSIGNED_TRAILER -> "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
        };
    assertThat(signed.head()).containsIgnoringCase("x-amz-content-sha256: " + mode);
    RawHttp.Response r = RawHttp.send(endpoint, signed.head(), signed.body());
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.headers().get("etag")).isEqualTo('"' + Data.md5Hex(body) + '"');
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asByteArray()).isEqualTo(body);
  }

  @Test
  void sdkChunkedUploadsWithAndWithoutTrailers() {
    byte[] body = Data.bytes(1_500_000, 11);
    // The SDK's default over http: aws-chunked, signed chunks, CRC32 in a signed trailer.
    s3.putObject(p -> p.bucket(bucket).key("sdk/trailer"), RequestBody.fromBytes(body));
    // With checksums only when required: signed chunks, no trailer.
    try (S3Client plain =
        dev.leasehold.testkit.Clients.builder(endpoint, LocalCluster.CREDENTIALS)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .build()) {
      plain.putObject(p -> p.bucket(bucket).key("sdk/plain"), RequestBody.fromBytes(body));
    }
    for (String key : new String[] {"sdk/trailer", "sdk/plain"}) {
      assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asByteArray()).isEqualTo(body);
    }
  }

  /**
   * A presigned URL may carry a request's {@code x-amz-*} headers in its query, signed with it (the
   * JavaScript SDK v3's presigner does so with a PutObject's metadata): each counts as the header,
   * honoured or refused as the header would be. Added after signing, one breaks the signature.
   */
  @Test
  void presignedQueryHeadersCountAsTheHeaders() throws Exception {
    var signer = new dev.leasehold.testkit.HandSigner(LocalCluster.CREDENTIALS);
    String path = "/" + bucket + "/presigned/meta";
    URI put =
        signer.presigned(
            "PUT",
            endpoint,
            path,
            Map.of(
                "x-amz-meta-color", "blue green",
                "x-amz-acl", "bucket-owner-full-control",
                "x-amz-storage-class", "STANDARD",
                "x-id", "PutObject"),
            Duration.ofMinutes(5));
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> ok =
        http.send(
            HttpRequest.newBuilder(put).PUT(HttpRequest.BodyPublishers.ofString("m")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(s3.headObject(h -> h.bucket(bucket).key("presigned/meta")).metadata())
        .containsExactly(Map.entry("color", "blue green"));

    Map<String, String[]> refused =
        Map.of(
            "x-amz-storage-class", new String[] {"GLACIER", "400", "InvalidStorageClass"},
            "x-amz-acl", new String[] {"everyone", "400", "InvalidArgument"},
            "x-amz-tagging", new String[] {"k=1&k=2", "400", "InvalidTag"});
    for (var r : refused.entrySet()) {
      String key = "presigned/refused-" + r.getKey();
      URI url =
          signer.presigned(
              "PUT",
              endpoint,
              "/" + bucket + "/" + key,
              Map.of(r.getKey(), r.getValue()[0]),
              Duration.ofMinutes(5));
      HttpResponse<String> no =
          http.send(
              HttpRequest.newBuilder(url).PUT(HttpRequest.BodyPublishers.ofString("m")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(no.statusCode()).as(no.body()).isEqualTo(Integer.parseInt(r.getValue()[1]));
      assertThat(no.body()).contains("<Code>" + r.getValue()[2] + "</Code>");
      ObjectApiIT.assertStatus(() -> s3.headObject(h -> h.bucket(bucket).key(key)), 404);
    }

    URI added = URI.create(put + "&x-amz-meta-extra=1");
    HttpResponse<String> bad =
        http.send(
            HttpRequest.newBuilder(added).PUT(HttpRequest.BodyPublishers.ofString("x")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(403);
    assertThat(bad.body()).contains("<Code>SignatureDoesNotMatch</Code>");
  }

  @Test
  void presignedGetAndPut() throws Exception {
    try (S3Presigner presigner =
        dev.leasehold.testkit.Clients.presigner(endpoint, LocalCluster.CREDENTIALS)) {
      URI put =
          presigner
              .presignPutObject(p ->
                  p.signatureDuration(Duration.ofMinutes(5))
                      .putObjectRequest(o -> o.bucket(bucket).key("presigned/x")))
              .url()
              .toURI();
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> putResponse =
          http.send(
              HttpRequest.newBuilder(put)
                  .PUT(HttpRequest.BodyPublishers.ofString("presigned!"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(putResponse.statusCode()).as(putResponse.body()).isEqualTo(200);

      URI get =
          presigner
              .presignGetObject(p ->
                  p.signatureDuration(Duration.ofMinutes(5))
                      .getObjectRequest(o -> o.bucket(bucket).key("presigned/x")))
              .url()
              .toURI();
      HttpResponse<String> got =
          http.send(
              HttpRequest.newBuilder(get).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(got.statusCode()).isEqualTo(200);
      assertThat(got.body()).isEqualTo("presigned!");

      // Tampering with the signed query breaks the signature.
      URI tampered = URI.create(get.toString().replace("presigned/x", "presigned/y"));
      HttpResponse<String> bad =
          http.send(
              HttpRequest.newBuilder(tampered).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(bad.statusCode()).isEqualTo(403);
      assertThat(bad.body()).contains("<Code>SignatureDoesNotMatch</Code>");
    }
  }

  /**
   * A presigned PUT signs only {@code host}: an {@code x-amz-*} header added to it was not signed,
   * and must be refused, as AWS does (403 AccessDenied, "There were headers present in the request
   * which were not signed"). Otherwise an {@code x-amz-copy-source} turned the PUT into a copy of
   * any object the holder of the URL could not read.
   */
  @Test
  void anUnsignedAmzHeaderIsRefused() throws Exception {
    s3.putObject(p -> p.bucket(bucket).key("secret/payroll.csv"), RequestBody.fromString("pay"));
    try (S3Presigner presigner =
        dev.leasehold.testkit.Clients.presigner(endpoint, LocalCluster.CREDENTIALS)) {
      URI put =
          presigner
              .presignPutObject(p ->
                  p.signatureDuration(Duration.ofMinutes(5))
                      .putObjectRequest(o -> o.bucket(bucket).key("upload/mine")))
              .url()
              .toURI();
      HttpResponse<String> copied =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(put)
                      .header("x-amz-copy-source", bucket + "/secret/payroll.csv")
                      .PUT(HttpRequest.BodyPublishers.ofString(""))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(copied.statusCode()).as(copied.body()).isEqualTo(403);
      assertThat(copied.body())
          .contains("<Code>AccessDenied</Code>")
          .contains("There were headers present in the request which were not signed");
      assertThat(
              s3.listObjectsV2(l -> l.bucket(bucket).prefix("upload/")).contents().stream()
                  .map(o -> o.key())
                  .toList())
          .isEmpty();
    }
    // Signed in the Authorization header, the same: the header must be among SignedHeaders.
    var signed =
        new Signer(LocalCluster.CREDENTIALS)
            .sign(
                "GET",
                endpoint,
                "/" + bucket + "/secret/payroll.csv",
                Map.of(),
                new byte[0],
                Payload.SIGNED);
    String head = signed.head() + "x-amz-meta-extra: 1\r\n"; // after the signed headers
    RawHttp.Response r = RawHttp.send(endpoint, head, new byte[0]);
    assertThat(r.status()).as(r.text()).isEqualTo(403);
    assertThat(r.text()).contains("<Code>AccessDenied</Code>");
  }

  @Test
  void presignedUrlExpires() throws Exception {
    s3.putObject(p -> p.bucket(bucket).key("expiring"), RequestBody.fromString("soon gone"));
    Clock anHourAgo = Clock.offset(Clock.systemUTC(), Duration.ofHours(-1));
    URI url =
        new Signer(LocalCluster.CREDENTIALS, "us-east-1", anHourAgo)
            .presign("GET", endpoint, "/" + bucket + "/expiring", Duration.ofMinutes(10));
    HttpResponse<String> got =
        HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(got.statusCode()).isEqualTo(403);
    assertThat(got.body()).contains("<Code>AccessDenied</Code>").contains("Request has expired");

    URI fresh =
        new Signer(LocalCluster.CREDENTIALS)
            .presign("GET", endpoint, "/" + bucket + "/expiring", Duration.ofMinutes(10));
    HttpResponse<String> ok =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(fresh).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(ok.body()).isEqualTo("soon gone");
  }

  @Test
  void wrongSecretIsSignatureDoesNotMatchAndWritesNothing() {
    try (S3Client wrong =
        dev.leasehold.testkit.Clients.s3(
            endpoint,
            new Credentials(LocalCluster.CREDENTIALS.accessKey(), "not-the-secret-key"))) {
      S3Errors.assertError(
          () -> wrong.putObject(p -> p.bucket(bucket).key("forged"), RequestBody.fromString("x")),
          403,
          "SignatureDoesNotMatch");
    }
    assertAbsent("forged");
  }

  @Test
  void unknownAccessKeyIsInvalidAccessKeyId() {
    try (S3Client stranger =
        dev.leasehold.testkit.Clients.s3(
            endpoint, new Credentials("AKIDUNKNOWN000000000", "whatever-secret"))) {
      S3Errors.assertError(
          () ->
              stranger.putObject(
                  p -> p.bucket(bucket).key("stranger"), RequestBody.fromString("x")),
          403,
          "InvalidAccessKeyId");
    }
    assertAbsent("stranger");
  }

  @Test
  void tamperedChunkIsRefusedAndWritesNothing() throws Exception {
    byte[] body = Data.bytes(300_000, 21);
    for (Payload mode :
        new Payload[] {Payload.STREAMING_SIGNED, Payload.STREAMING_SIGNED_TRAILER}) {
      String key = "tampered/" + mode;
      var signed =
          new Signer(LocalCluster.CREDENTIALS)
              .sign("PUT", endpoint, "/" + bucket + "/" + key, Map.of(), body, mode);
      byte[] encoded = signed.body().clone();
      encoded[encoded.length / 2] ^= 1; // a bit flipped in the middle of a chunk's data
      RawHttp.Response r = RawHttp.send(endpoint, signed.head(), encoded);
      assertThat(r.status()).as(mode + ": " + r.text()).isEqualTo(403);
      assertThat(r.errorCode()).isEqualTo("SignatureDoesNotMatch");
      assertAbsent(key);
    }
  }

  @Test
  void wrongTrailingChecksumIsBadDigest() throws Exception {
    byte[] body = Data.bytes(100_000, 22);
    var signed =
        new Signer(LocalCluster.CREDENTIALS)
            .sign(
                "PUT",
                endpoint,
                "/" + bucket + "/badtrailer",
                Map.of(),
                body,
                Payload.STREAMING_UNSIGNED_TRAILER);
    String encoded = new String(signed.body(), java.nio.charset.StandardCharsets.ISO_8859_1);
    int at = encoded.indexOf("x-amz-checksum-crc32:") + "x-amz-checksum-crc32:".length();
    String forged = encoded.substring(0, at) + "AAAAAA==" + encoded.substring(at + 8);
    RawHttp.Response r =
        RawHttp.send(
            endpoint, signed.head(), forged.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThat(r.status()).as(r.text()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("BadDigest");
    assertAbsent("badtrailer");
  }

  @Test
  void clockSkewAndWrongRegionAndAnonymous() throws Exception {
    Clock skewed = Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC);
    var late =
        new Signer(LocalCluster.CREDENTIALS, "us-east-1", skewed)
            .sign("GET", endpoint, "/" + bucket, Map.of(), new byte[0], Payload.SIGNED);
    RawHttp.Response r = RawHttp.send(endpoint, late.head(), late.body());
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.errorCode()).isEqualTo("RequestTimeTooSkewed");

    var region =
        new Signer(LocalCluster.CREDENTIALS, "eu-west-3", Clock.systemUTC())
            .sign("GET", endpoint, "/" + bucket, Map.of(), new byte[0], Payload.SIGNED);
    r = RawHttp.send(endpoint, region.head(), region.body());
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("AuthorizationHeaderMalformed");
    assertThat(r.text()).contains("the region 'eu-west-3' is wrong; expecting 'us-east-1'");

    r =
        RawHttp.send(
            endpoint,
            "PUT /" + bucket + "/anonymous HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n",
            new byte[] {'x'});
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.errorCode()).isEqualTo("AccessDenied");
    assertAbsent("anonymous");
  }

  @Test
  void signedPayloadHashMustMatchTheBody() throws Exception {
    byte[] body = Data.bytes(1000, 23);
    var signed =
        new Signer(LocalCluster.CREDENTIALS)
            .sign("PUT", endpoint, "/" + bucket + "/shamismatch", Map.of(), body, Payload.SIGNED);
    byte[] other = body.clone();
    other[0] ^= 1;
    RawHttp.Response r = RawHttp.send(endpoint, signed.head(), other);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("XAmzContentSHA256Mismatch");
    assertAbsent("shamismatch");
  }

  static void assertAbsent(String key) {
    assertThatThrownBy(() -> cluster.backdoor().head(bucket, key))
        .isInstanceOf(dev.leasehold.error.S3Exception.class)
        .satisfies(e ->
            assertThat(((dev.leasehold.error.S3Exception) e).error().code())
                .isEqualTo("NoSuchKey"));
  }
}
