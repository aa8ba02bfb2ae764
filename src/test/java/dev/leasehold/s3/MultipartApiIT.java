package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.S3Errors;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Multipart uploads end to end: create, upload parts (and copy parts), list, complete, abort, GET
 * by part number, against each origin.
 */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class MultipartApiIT {
  static final int MIB = 1024 * 1024;

  static LocalCluster cluster;
  static S3Client s3;

  @Parameter OriginKind origin;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind origin) {
    cluster = LocalCluster.builder().origin(origin).start();
    s3 = cluster.client(0);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    s3.close();
    cluster.close();
  }

  @Test
  void uploadListCompleteAndReadByPart() throws Exception {
    String bucket = Data.bucket(s3);
    List<byte[]> parts =
        List.of(Data.bytes(5 * MIB, 1), Data.bytes(5 * MIB + 17, 2), Data.bytes(1000, 3));
    String uploadId =
        s3.createMultipartUpload(r ->
                r.bucket(bucket)
                    .key("big")
                    .contentType("application/x-mp")
                    .metadata(Map.of("m", "p")))
            .uploadId();

    assertThat(s3.listMultipartUploads(r -> r.bucket(bucket)).uploads())
        .extracting(u -> u.key() + " " + u.uploadId())
        .containsExactly("big " + uploadId);

    List<CompletedPart> completed = new ArrayList<>();
    for (int i = 0; i < parts.size(); i++) {
      int n = i + 1;
      byte[] part = parts.get(i);
      String etag =
          s3.uploadPart(
                  r -> r.bucket(bucket).key("big").uploadId(uploadId).partNumber(n),
                  RequestBody.fromBytes(part))
              .eTag();
      assertThat(etag).isEqualTo('"' + Data.md5Hex(part) + '"');
      completed.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
    }
    var listed = s3.listParts(r -> r.bucket(bucket).key("big").uploadId(uploadId));
    assertThat(listed.parts()).extracting(p -> p.partNumber()).containsExactly(1, 2, 3);
    assertThat(listed.parts())
        .extracting(p -> p.size())
        .containsExactly((long) 5 * MIB, (long) 5 * MIB + 17, 1000L);
    var firstPage = s3.listParts(r -> r.bucket(bucket).key("big").uploadId(uploadId).maxParts(2));
    assertThat(firstPage.isTruncated()).isTrue();
    assertThat(firstPage.nextPartNumberMarker()).isEqualTo(2);

    var done =
        s3.completeMultipartUpload(r ->
            r.bucket(bucket)
                .key("big")
                .uploadId(uploadId)
                .multipartUpload(m -> m.parts(completed)));
    assertThat(done.eTag()).endsWith("-3\"");

    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      all.write(p);
    }
    var whole = s3.getObjectAsBytes(r -> r.bucket(bucket).key("big"));
    assertThat(whole.asByteArray()).isEqualTo(all.toByteArray());
    assertThat(whole.response().contentType()).isEqualTo("application/x-mp");
    assertThat(whole.response().metadata()).containsEntry("m", "p");
    assertThat(whole.response().eTag()).isEqualTo(done.eTag());

    if (origin == OriginKind.S3PROXY) {
      // S3Proxy keeps no part boundaries, so neither it nor a site over it can read one part.
      assertThatThrownBy(() -> s3.getObjectAsBytes(r -> r.bucket(bucket).key("big").partNumber(2)))
          .isInstanceOf(S3Exception.class)
          .satisfies(e -> {
            assertThat(((S3Exception) e).statusCode()).isEqualTo(501);
            assertThat(((S3Exception) e).awsErrorDetails().errorCode()).isEqualTo("NotImplemented");
          });
    } else {
      var second = s3.getObjectAsBytes(r -> r.bucket(bucket).key("big").partNumber(2));
      assertThat(second.asByteArray()).isEqualTo(parts.get(1));
      assertThat(second.response().partsCount()).isEqualTo(3);
      assertThat(second.response().contentRange())
          .isEqualTo("bytes " + 5 * MIB + "-" + (10 * MIB + 16) + "/" + all.size());
      assertThat(s3.headObject(r -> r.bucket(bucket).key("big").partNumber(3)).contentLength())
          .isEqualTo(1000);
    }
    // Beyond the last part: "The requested partnumber is not satisfiable".
    S3Errors.assertError(
        () -> s3.getObject(r -> r.bucket(bucket).key("big").partNumber(4)),
        416,
        "InvalidPartNumber");

    assertThat(s3.listMultipartUploads(r -> r.bucket(bucket)).uploads()).isEmpty();
  }

  @Test
  void partNumberOneOfASinglePartObjectIsTheObject() {
    String bucket = Data.bucket(s3);
    s3.putObject(r -> r.bucket(bucket).key("single"), RequestBody.fromString("just one part"));
    assertThat(
            s3.getObjectAsBytes(r -> r.bucket(bucket).key("single").partNumber(1)).asUtf8String())
        .isEqualTo("just one part");
    S3Errors.assertError(
        () -> s3.getObject(r -> r.bucket(bucket).key("single").partNumber(2)),
        416,
        "InvalidPartNumber");
  }

  @Test
  void abortedUploadIsGone() {
    String bucket = Data.bucket(s3);
    String uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key("abort")).uploadId();
    s3.uploadPart(
        r -> r.bucket(bucket).key("abort").uploadId(uploadId).partNumber(1),
        RequestBody.fromString("p"));
    s3.abortMultipartUpload(r -> r.bucket(bucket).key("abort").uploadId(uploadId));
    assertThat(s3.listMultipartUploads(r -> r.bucket(bucket)).uploads()).isEmpty();
    assertThatThrownBy(() -> s3.headObject(r -> r.bucket(bucket).key("abort")))
        .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
  }

  @Test
  void badCompletionsAreRefusedAndPublishNothing() {
    String bucket = Data.bucket(s3);
    String uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key("bad")).uploadId();
    String e1 =
        s3.uploadPart(
                r -> r.bucket(bucket).key("bad").uploadId(uploadId).partNumber(1),
                RequestBody.fromBytes(Data.bytes(1000, 5)))
            .eTag();
    String e2 =
        s3.uploadPart(
                r -> r.bucket(bucket).key("bad").uploadId(uploadId).partNumber(2),
                RequestBody.fromBytes(Data.bytes(1000, 6)))
            .eTag();
    S3Errors.assertError(
        () -> complete(bucket, "bad", uploadId, part(1, "\"0000\"")), 400, "InvalidPart");
    S3Errors.assertError(
        () -> complete(bucket, "bad", uploadId, part(2, e2), part(1, e1)), 400, "InvalidPartOrder");
    // A part other than the last is smaller than 5 MiB (5,242,880 bytes).
    S3Errors.assertError(
        () -> complete(bucket, "bad", uploadId, part(1, e1), part(2, e2)), 400, "EntityTooSmall");
    assertThatThrownBy(() -> s3.headObject(r -> r.bucket(bucket).key("bad")))
        .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
    // The upload is still there to finish properly.
    complete(bucket, "bad", uploadId, part(2, e2));
    assertThat(s3.getObjectAsBytes(r -> r.bucket(bucket).key("bad")).asByteArray())
        .isEqualTo(Data.bytes(1000, 6));
  }

  /**
   * "Part numbers can be any number from 1 to 10,000, inclusive" (UploadPart); S3 refuses others
   * with InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive".
   */
  @Test
  void partNumbersOutsideOneToTenThousandAreInvalidArgument() {
    String bucket = Data.bucket(s3);
    s3.putObject(r -> r.bucket(bucket).key("whole"), RequestBody.fromString("whole"));
    String uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key("numbered")).uploadId();
    for (int n : new int[] {0, 10001}) {
      assertPartNumberRefused(() ->
          s3.uploadPart(
              r -> r.bucket(bucket).key("numbered").uploadId(uploadId).partNumber(n),
              RequestBody.fromString("p")));
    }
    assertPartNumberRefused(() ->
        s3.uploadPartCopy(r ->
            r.sourceBucket(bucket)
                .sourceKey("whole")
                .destinationBucket(bucket)
                .destinationKey("numbered")
                .uploadId(uploadId)
                .partNumber(10001)));
    assertPartNumberRefused(() -> s3.getObject(r -> r.bucket(bucket).key("whole").partNumber(0)));
    assertThat(s3.listParts(r -> r.bucket(bucket).key("numbered").uploadId(uploadId)).parts())
        .isEmpty();
    // Both ends of the range are parts.
    for (int n : new int[] {1, 10000}) {
      s3.uploadPart(
          r -> r.bucket(bucket).key("numbered").uploadId(uploadId).partNumber(n),
          RequestBody.fromString("part " + n));
    }
    assertThat(s3.listParts(r -> r.bucket(bucket).key("numbered").uploadId(uploadId)).parts())
        .extracting(p -> p.partNumber())
        .containsExactly(1, 10000);
    s3.abortMultipartUpload(r -> r.bucket(bucket).key("numbered").uploadId(uploadId));
  }

  private static void assertPartNumberRefused(Runnable call) {
    assertThatThrownBy(call::run)
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          S3Exception s = (S3Exception) e;
          assertThat(s.statusCode()).isEqualTo(400);
          assertThat(s.awsErrorDetails().errorCode()).isEqualTo("InvalidArgument");
          assertThat(s.awsErrorDetails().errorMessage())
              .isEqualTo("Part number must be an integer between 1 and 10000, inclusive");
        });
  }

  @Test
  void uploadPartCopyTakesARangeOfAnotherObject() {
    String bucket = Data.bucket(s3);
    byte[] source = Data.bytes(6 * MIB + 300, 7);
    s3.putObject(r -> r.bucket(bucket).key("source"), RequestBody.fromBytes(source));
    String uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key("assembled")).uploadId();
    var first =
        s3.uploadPartCopy(r ->
            r.sourceBucket(bucket)
                .sourceKey("source")
                .destinationBucket(bucket)
                .destinationKey("assembled")
                .uploadId(uploadId)
                .partNumber(1)
                .copySourceRange("bytes=0-" + (5 * MIB - 1)));
    var second =
        s3.uploadPartCopy(r ->
            r.sourceBucket(bucket)
                .sourceKey("source")
                .destinationBucket(bucket)
                .destinationKey("assembled")
                .uploadId(uploadId)
                .partNumber(2)
                .copySourceRange("bytes=" + 5 * MIB + "-" + (source.length - 1)));
    complete(
        bucket,
        "assembled",
        uploadId,
        part(1, first.copyPartResult().eTag()),
        part(2, second.copyPartResult().eTag()));
    assertThat(s3.getObjectAsBytes(r -> r.bucket(bucket).key("assembled")).asByteArray())
        .isEqualTo(source);

    // A copy range must lie within the source (InvalidRange, not the bytes there are).
    String another = s3.createMultipartUpload(r -> r.bucket(bucket).key("past")).uploadId();
    dev.leasehold.testkit.S3Errors.assertError(
        () ->
            s3.uploadPartCopy(r ->
                r.sourceBucket(bucket)
                    .sourceKey("source")
                    .destinationBucket(bucket)
                    .destinationKey("past")
                    .uploadId(another)
                    .partNumber(1)
                    .copySourceRange("bytes=0-" + source.length)),
        416,
        "InvalidRange");
    assertThat(s3.listParts(r -> r.bucket(bucket).key("past").uploadId(another)).parts()).isEmpty();
    byte[] head = Arrays.copyOfRange(source, 0, 5 * MIB);
    assertThat(first.copyPartResult().eTag()).isEqualTo('"' + Data.md5Hex(head) + '"');
  }

  private static CompletedPart part(int n, String etag) {
    return CompletedPart.builder().partNumber(n).eTag(etag).build();
  }

  private static void complete(String bucket, String key, String uploadId, CompletedPart... parts) {
    s3.completeMultipartUpload(
        r -> r.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
  }
}
