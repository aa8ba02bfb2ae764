package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.S3Errors;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * PutObject, GetObject, HeadObject, CopyObject, DeleteObject and DeleteObjects through a site, with
 * the AWS SDK for Java v2 over real sockets, against each origin.
 */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class ObjectApiIT {
  static LocalCluster cluster;
  static S3Client s3;

  @Parameter OriginKind origin;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind origin) {
    cluster = LocalCluster.builder().origin(origin).chunkSize(1024 * 1024).start();
    s3 = cluster.client(0);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    s3.close();
    cluster.close();
  }

  @Test
  void putThenGetReturnsTheSameBytesAndMetadata() {
    String bucket = Data.bucket(s3);
    byte[] body = Data.bytes(3 * 1024 * 1024 + 123, 1);
    Instant expires = Instant.parse("2030-01-02T03:04:05Z");
    var put =
        s3.putObject(
            r ->
                r.bucket(bucket)
                    .key("dir/object one.bin")
                    .contentType("application/x-test")
                    .contentEncoding("deflate, identity")
                    .contentDisposition("attachment; filename=\"one.bin\"")
                    .contentLanguage("en")
                    .cacheControl("max-age=60")
                    .expires(expires)
                    .metadata(Map.of("color", "blue", "Shape", "round")),
            RequestBody.fromBytes(body));
    assertThat(put.eTag()).isEqualTo('"' + Data.md5Hex(body) + '"');

    ResponseBytes<GetObjectResponse> got =
        s3.getObjectAsBytes(r -> r.bucket(bucket).key("dir/object one.bin"));
    assertThat(got.asByteArray()).isEqualTo(body);
    GetObjectResponse meta = got.response();
    assertThat(meta.eTag()).isEqualTo(put.eTag());
    assertThat(meta.contentLength()).isEqualTo(body.length);
    assertThat(meta.contentType()).isEqualTo("application/x-test");
    assertThat(meta.contentEncoding()).as("kept as written").isEqualTo("deflate, identity");
    assertThat(meta.contentDisposition()).isEqualTo("attachment; filename=\"one.bin\"");
    assertThat(meta.contentLanguage()).isEqualTo("en");
    assertThat(meta.cacheControl()).isEqualTo("max-age=60");
    assertThat(meta.expiresString()).isEqualTo("Wed, 02 Jan 2030 03:04:05 GMT");
    assertThat(meta.metadata()).containsEntry("color", "blue").containsEntry("shape", "round");
    assertThat(meta.acceptRanges()).isEqualTo("bytes");
  }

  @Test
  void headDescribesWithoutBody() {
    String bucket = Data.bucket(s3);
    byte[] body = Data.bytes(1000, 2);
    s3.putObject(r -> r.bucket(bucket).key("k"), RequestBody.fromBytes(body));
    HeadObjectResponse head = s3.headObject(r -> r.bucket(bucket).key("k"));
    assertThat(head.contentLength()).isEqualTo(1000);
    assertThat(head.eTag()).isEqualTo('"' + Data.md5Hex(body) + '"');
    assertThat(head.contentType()).isEqualTo("application/octet-stream"); // the SDK's default
    assertThat(head.lastModified()).isCloseTo(Instant.now(), within(120));
  }

  @Test
  void emptyObject() {
    String bucket = Data.bucket(s3);
    s3.putObject(r -> r.bucket(bucket).key("empty"), RequestBody.empty());
    var got = s3.getObjectAsBytes(r -> r.bucket(bucket).key("empty"));
    assertThat(got.asByteArray()).isEmpty();
    assertThat(got.response().eTag()).isEqualTo("\"d41d8cd98f00b204e9800998ecf8427e\"");
  }

  @Test
  void keysWithCharactersThatNeedEncoding() {
    String bucket = Data.bucket(s3);
    List<String> keys =
        List.of(
            "space in name",
            "plus+sign",
            "percent%41",
            "question?mark",
            "hash#tag",
            "amp&er=sand",
            "ünïcødé/日本語/😀",
            "tilde~star*quote'paren()");
    for (String key : keys) {
      s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromString("value of " + key));
    }
    for (String key : keys) {
      assertThat(s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asUtf8String())
          .as(key)
          .isEqualTo("value of " + key);
    }
    // Listed in UTF-8 binary order, whatever order they were written in.
    assertThat(s3.listObjectsV2(r -> r.bucket(bucket)).contents())
        .extracting(o -> o.key())
        .containsExactly(
            "amp&er=sand",
            "hash#tag",
            "percent%41",
            "plus+sign",
            "question?mark",
            "space in name",
            "tilde~star*quote'paren()",
            "ünïcødé/日本語/😀");
  }

  @Test
  void missingKeyAndMissingBucket() {
    String bucket = Data.bucket(s3);
    assertThatThrownBy(() -> s3.getObject(r -> r.bucket(bucket).key("nope")))
        .isInstanceOf(NoSuchKeyException.class)
        .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(404));
    assertThatThrownBy(() -> s3.getObject(r -> r.bucket("no-such-bucket-here").key("k")))
        .isInstanceOf(NoSuchBucketException.class);
    assertThatThrownBy(() -> s3.headObject(r -> r.bucket(bucket).key("nope")))
        .isInstanceOf(NoSuchKeyException.class);
  }

  @Test
  void rangesIncludingSuffixOpenAndAcrossChunks() {
    String bucket = Data.bucket(s3);
    byte[] body = Data.bytes(3 * 1024 * 1024 + 500, 3); // 4 chunks of 1 MiB
    s3.putObject(r -> r.bucket(bucket).key("r"), RequestBody.fromBytes(body));
    assertRange(bucket, "bytes=0-9", body, 0, 10);
    assertRange(bucket, "bytes=1048570-1048590", body, 1048570, 21); // across a chunk boundary
    assertRange(bucket, "bytes=1000-", body, 1000, body.length - 1000);
    assertRange(bucket, "bytes=-700", body, body.length - 700, 700);
    assertRange(bucket, "bytes=-99999999", body, 0, body.length); // suffix longer than the object
    assertRange(bucket, "bytes=3145000-99999999", body, 3145000, body.length - 3145000);
    var resp = s3.getObject(r -> r.bucket(bucket).key("r").range("bytes=5-6")).response();
    assertThat(resp.contentRange()).isEqualTo("bytes 5-6/" + body.length);

    assertThatThrownBy(() ->
            s3.getObjectAsBytes(r -> r.bucket(bucket).key("r").range("bytes=" + body.length + "-")))
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          S3Exception s = (S3Exception) e;
          assertThat(s.statusCode()).isEqualTo(416);
          assertThat(s.awsErrorDetails().errorCode()).isEqualTo("InvalidRange");
        });
    // A malformed range is ignored: the whole object, 200.
    var whole = s3.getObjectAsBytes(r -> r.bucket(bucket).key("r").range("bytes=9-3"));
    assertThat(whole.asByteArray()).isEqualTo(body);
    assertThat(whole.response().contentRange()).isNull();
  }

  private void assertRange(String bucket, String range, byte[] body, int from, int length) {
    byte[] got = s3.getObjectAsBytes(r -> r.bucket(bucket).key("r").range(range)).asByteArray();
    assertThat(got).as(range).isEqualTo(Arrays.copyOfRange(body, from, from + length));
  }

  @Test
  void conditionalGets() {
    String bucket = Data.bucket(s3);
    var put = s3.putObject(r -> r.bucket(bucket).key("c"), RequestBody.fromString("conditional"));
    String etag = put.eTag();
    Instant past = Instant.now().minus(1, ChronoUnit.DAYS);
    Instant future = Instant.now().plus(1, ChronoUnit.DAYS);

    assertThat(s3.getObjectAsBytes(r -> r.bucket(bucket).key("c").ifMatch(etag)).asUtf8String())
        .isEqualTo("conditional");
    S3Errors.assertError(
        () -> s3.getObject(r -> r.bucket(bucket).key("c").ifMatch("\"other\"")),
        412,
        "PreconditionFailed");
    assertStatus(() -> s3.getObject(r -> r.bucket(bucket).key("c").ifNoneMatch(etag)), 304);
    assertStatus(() -> s3.getObject(r -> r.bucket(bucket).key("c").ifModifiedSince(future)), 304);
    S3Errors.assertError(
        () -> s3.getObject(r -> r.bucket(bucket).key("c").ifUnmodifiedSince(past)),
        412,
        "PreconditionFailed");
    assertThat(
            s3.getObjectAsBytes(r -> r.bucket(bucket).key("c").ifModifiedSince(past))
                .asUtf8String())
        .isEqualTo("conditional");
    // If-Match true wins over If-Unmodified-Since false (RFC 9110 13.2.2).
    assertThat(
            s3.getObjectAsBytes(
                    r -> r.bucket(bucket).key("c").ifMatch(etag).ifUnmodifiedSince(past))
                .asUtf8String())
        .isEqualTo("conditional");
    assertStatus(() -> s3.headObject(r -> r.bucket(bucket).key("c").ifNoneMatch(etag)), 304);
    assertStatus(() -> s3.headObject(r -> r.bucket(bucket).key("c").ifMatch("\"x\"")), 412);
  }

  @Test
  void conditionalPuts() {
    String bucket = Data.bucket(s3);
    s3.putObject(r -> r.bucket(bucket).key("p").ifNoneMatch("*"), RequestBody.fromString("one"));
    S3Errors.assertError(
        () ->
            s3.putObject(
                r -> r.bucket(bucket).key("p").ifNoneMatch("*"), RequestBody.fromString("two")),
        412,
        "PreconditionFailed");
    String etag = s3.headObject(r -> r.bucket(bucket).key("p")).eTag();
    S3Errors.assertError(
        () ->
            s3.putObject(
                r -> r.bucket(bucket).key("p").ifMatch("\"0123\""),
                RequestBody.fromString("three")),
        412,
        "PreconditionFailed");
    s3.putObject(r -> r.bucket(bucket).key("p").ifMatch(etag), RequestBody.fromString("four"));
    assertThat(s3.getObjectAsBytes(r -> r.bucket(bucket).key("p")).asUtf8String())
        .isEqualTo("four");
  }

  @Test
  void copyKeepsOrReplacesMetadata() {
    String bucket = Data.bucket(s3);
    String other = Data.bucket(s3);
    byte[] body = Data.bytes(2 * 1024 * 1024 + 7, 4);
    s3.putObject(
        r -> r.bucket(bucket).key("src").contentType("text/x-src").metadata(Map.of("a", "1")),
        RequestBody.fromBytes(body));

    var copied =
        s3.copyObject(r ->
            r.sourceBucket(bucket).sourceKey("src").destinationBucket(other).destinationKey("dst"));
    assertThat(copied.copyObjectResult().eTag()).isEqualTo('"' + Data.md5Hex(body) + '"');
    var got = s3.getObjectAsBytes(r -> r.bucket(other).key("dst"));
    assertThat(got.asByteArray()).isEqualTo(body);
    assertThat(got.response().contentType()).isEqualTo("text/x-src");
    assertThat(got.response().metadata()).containsExactly(Map.entry("a", "1"));

    s3.copyObject(r ->
        r.sourceBucket(bucket)
            .sourceKey("src")
            .destinationBucket(bucket)
            .destinationKey("src")
            .metadataDirective(MetadataDirective.REPLACE)
            .contentType("text/x-replaced")
            .metadata(Map.of("b", "2")));
    HeadObjectResponse head = s3.headObject(r -> r.bucket(bucket).key("src"));
    assertThat(head.contentType()).isEqualTo("text/x-replaced");
    assertThat(head.metadata()).containsExactly(Map.entry("b", "2"));

    S3Errors.assertError(
        () ->
            s3.copyObject(r ->
                r.sourceBucket(bucket)
                    .sourceKey("src")
                    .destinationBucket(bucket)
                    .destinationKey("src")),
        400,
        "InvalidRequest");
    S3Errors.assertError(
        () ->
            s3.copyObject(r ->
                r.sourceBucket(bucket)
                    .sourceKey("src")
                    .destinationBucket(bucket)
                    .destinationKey("dst2")
                    .copySourceIfMatch("\"nope\"")),
        412,
        "PreconditionFailed");
    assertThatThrownBy(() ->
            s3.copyObject(r ->
                r.sourceBucket(bucket)
                    .sourceKey("missing")
                    .destinationBucket(bucket)
                    .destinationKey("dst3")))
        .isInstanceOf(NoSuchKeyException.class);
  }

  @Test
  void deleteAndDeleteObjects() {
    String bucket = Data.bucket(s3);
    for (String k : List.of("a", "b", "c", "d")) {
      s3.putObject(r -> r.bucket(bucket).key(k), RequestBody.fromString(k));
    }
    s3.deleteObject(r -> r.bucket(bucket).key("a"));
    assertThatThrownBy(() -> s3.headObject(r -> r.bucket(bucket).key("a")))
        .isInstanceOf(NoSuchKeyException.class);
    s3.deleteObject(r -> r.bucket(bucket).key("a")); // deleting a missing key succeeds

    var result =
        s3.deleteObjects(r ->
            r.bucket(bucket)
                .delete(d ->
                    d.objects(
                        ObjectIdentifier.builder().key("b").build(),
                        ObjectIdentifier.builder().key("c").build(),
                        ObjectIdentifier.builder().key("never-was").build())));
    assertThat(result.deleted())
        .extracting(o -> o.key())
        .containsExactlyInAnyOrder("b", "c", "never-was");
    assertThat(result.errors()).isEmpty();

    var quiet =
        s3.deleteObjects(r ->
            r.bucket(bucket)
                .delete(d -> d.quiet(true).objects(ObjectIdentifier.builder().key("d").build())));
    assertThat(quiet.deleted()).isEmpty();
    assertThat(s3.listObjectsV2(r -> r.bucket(bucket)).contents()).isEmpty();
  }

  @Test
  void virtualHostStyleAddressing() {
    String bucket = Data.bucket(s3);
    try (S3Client vhost =
        dev.leasehold.testkit.Clients.virtualHost(
            cluster.site(0).s3Endpoint(), LocalCluster.CREDENTIALS)) {
      vhost.putObject(r -> r.bucket(bucket).key("v/h"), RequestBody.fromString("virtual"));
      assertThat(vhost.getObjectAsBytes(r -> r.bucket(bucket).key("v/h")).asUtf8String())
          .isEqualTo("virtual");
      assertThat(vhost.listObjectsV2(r -> r.bucket(bucket)).contents()).hasSize(1);
    }
    assertThat(s3.getObjectAsBytes(r -> r.bucket(bucket).key("v/h")).asUtf8String())
        .isEqualTo("virtual");
  }

  @Test
  void responseHeaderOverrides() {
    String bucket = Data.bucket(s3);
    s3.putObject(r -> r.bucket(bucket).key("o"), RequestBody.fromString("override"));
    var resp =
        s3.getObject(r ->
                r.bucket(bucket)
                    .key("o")
                    .responseContentType("text/plain")
                    .responseContentDisposition("inline")
                    .responseCacheControl("no-cache"))
            .response();
    assertThat(resp.contentType()).isEqualTo("text/plain");
    assertThat(resp.contentDisposition()).isEqualTo("inline");
    assertThat(resp.cacheControl()).isEqualTo("no-cache");
  }

  @Test
  void versionIdNullIsTheOnlyVersion() {
    String bucket = Data.bucket(s3);
    s3.putObject(r -> r.bucket(bucket).key("v"), RequestBody.fromString("one"));
    assertThat(s3.getObjectAsBytes(r -> r.bucket(bucket).key("v").versionId("null")).asUtf8String())
        .isEqualTo("one");
    S3Errors.assertError(
        () -> s3.getObject(r -> r.bucket(bucket).key("v").versionId("3HL4kqtJlcpXroDTDmJ")),
        400,
        "InvalidArgument");
  }

  /** For answers without a body to carry a code: HEAD, and 304. */
  static void assertStatus(Runnable call, int status) {
    assertThatThrownBy(call::run)
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(status));
  }

  private static org.assertj.core.data.TemporalUnitOffset within(int seconds) {
    return new org.assertj.core.data.TemporalUnitWithinOffset(seconds, ChronoUnit.SECONDS);
  }
}
