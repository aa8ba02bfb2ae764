package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectAttributes;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * The checksum a writer sends ({@code x-amz-checksum-*}) is stored with the object and returned
 * wherever it is read, as the Amazon S3 User Guide describes ("Checking object integrity"): on the
 * PutObject answer, and on HEAD and GET with {@code x-amz-checksum-mode: ENABLED}, as a full-object
 * checksum; not on a ranged read, which it cannot check, and not unless asked. The expected values
 * are computed here from the bytes as S3 defines them (the base64 of the big-endian digest).
 * Written at one site, read at the other, against each origin.
 */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class ChecksumsIT {
  static LocalCluster cluster;
  static S3Client a;
  static S3Client b;

  @Parameter OriginKind origin;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind origin) {
    cluster = LocalCluster.builder().origin(origin).sites(2).start();
    a = cluster.client(0);
    b = cluster.client(1);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    a.close();
    b.close();
    cluster.close();
  }

  @Test
  void aWritersCrc32IsReturnedAtEverySiteWhenAskedFor() {
    String bucket = Data.bucket(a);
    byte[] body = Data.bytes(300_000, 7);
    String crc32 = crc32(body);

    PutObjectResponse put =
        a.putObject(
            p -> p.bucket(bucket).key("k").checksumAlgorithm(ChecksumAlgorithm.CRC32),
            RequestBody.fromBytes(body));
    assertThat(put.checksumCRC32()).isEqualTo(crc32);

    HeadObjectResponse atA =
        a.headObject(h -> h.bucket(bucket).key("k").checksumMode(ChecksumMode.ENABLED));
    assertThat(atA.checksumCRC32()).isEqualTo(crc32);
    assertThat(atA.checksumType()).isEqualTo(ChecksumType.FULL_OBJECT);

    var atB = b.getObjectAsBytes(g -> g.bucket(bucket).key("k").checksumMode(ChecksumMode.ENABLED));
    assertThat(atB.asByteArray()).isEqualTo(body);
    assertThat(atB.response().checksumCRC32()).isEqualTo(crc32);
    assertThat(b.headObject(h -> h.bucket(bucket).key("k")).checksumCRC32())
        .as("only when asked for")
        .isNull();
    assertThat(
            b.getObjectAsBytes(g ->
                    g.bucket(bucket)
                        .key("k")
                        .range("bytes=10-99")
                        .checksumMode(ChecksumMode.ENABLED))
                .response()
                .checksumCRC32())
        .as("a range cannot be checked against the whole object's checksum")
        .isNull();

    // A copy holds the same bytes, so the same checksum, with its metadata copied or replaced.
    a.copyObject(c ->
        c.sourceBucket(bucket)
            .sourceKey("k")
            .destinationBucket(bucket)
            .destinationKey("copy")
            .metadataDirective("REPLACE")
            .contentType("text/plain"));
    assertThat(
            b.headObject(h -> h.bucket(bucket).key("copy").checksumMode(ChecksumMode.ENABLED))
                .checksumCRC32())
        .isEqualTo(crc32);
  }

  /** The metadata name an origin keeps checksums under is nobody's to set. */
  @Test
  void theChecksumsMetadataNameIsReserved() {
    String bucket = Data.bucket(a);
    dev.leasehold.testkit.S3Errors.assertError(
        () ->
            a.putObject(
                p ->
                    p.bucket(bucket)
                        .key("spoof")
                        .metadata(java.util.Map.of("leasehold-checksum", "CRC32:AAAAAA==")),
                RequestBody.fromString("v")),
        400,
        "InvalidArgument");
    ObjectApiIT.assertStatus(() -> b.headObject(h -> h.bucket(bucket).key("spoof")), 404);
  }

  /** A SHA-256 given in the header (not a trailer), and an object written with none. */
  @Test
  void aSha256HeaderIsKeptAndAnObjectWithoutOneHasNone() throws Exception {
    String bucket = Data.bucket(a);
    byte[] body = Data.bytes(5000, 8);
    String sha256 =
        Base64.getEncoder()
            .encodeToString(java.security.MessageDigest.getInstance("SHA-256").digest(body));
    a.putObject(
        p -> p.bucket(bucket).key("sha").checksumSHA256(sha256), RequestBody.fromBytes(body));
    HeadObjectResponse head =
        b.headObject(h -> h.bucket(bucket).key("sha").checksumMode(ChecksumMode.ENABLED));
    assertThat(head.checksumSHA256()).isEqualTo(sha256);
    assertThat(head.checksumCRC32()).isNull();

    try (S3Client plain =
        Clients.builder(cluster.s3(0), LocalCluster.CREDENTIALS)
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .build()) {
      plain.putObject(p -> p.bucket(bucket).key("none"), RequestBody.fromBytes(body));
    }
    HeadObjectResponse none =
        b.headObject(h -> h.bucket(bucket).key("none").checksumMode(ChecksumMode.ENABLED));
    assertThat(none.checksumCRC32()).isNull();
    assertThat(none.checksumSHA256()).isNull();
    assertThat(none.checksumType()).isNull();
  }

  /**
   * In a write-back bucket the version goes from the writer's journal to the coordinator and the
   * other site before it reaches the origin: the checksum travels with it.
   */
  @Test
  void aWriteBackVersionCarriesItsChecksumToTheOtherSite() {
    String bucket = Data.bucket(a);
    cluster.site(0).leases().admin().setWriteMode(bucket, true, "recall");
    Await.until(
        () -> {
          a.putObject(p -> p.bucket(bucket).key("probe"), RequestBody.fromString("p"));
          return cluster.site(0).leases().owned(bucket, "probe") != null;
        },
        Duration.ofSeconds(20),
        "the bucket to turn write-back at site 0");
    byte[] body = Data.bytes(70_000, 9);
    a.putObject(
        p -> p.bucket(bucket).key("wb").checksumAlgorithm(ChecksumAlgorithm.CRC32),
        RequestBody.fromBytes(body));
    var atB =
        b.getObjectAsBytes(g -> g.bucket(bucket).key("wb").checksumMode(ChecksumMode.ENABLED));
    assertThat(atB.asByteArray()).isEqualTo(body);
    assertThat(atB.response().checksumCRC32()).isEqualTo(crc32(body));
  }

  /**
   * GetObjectAttributes gives what {@code x-amz-object-attributes} names (Amazon S3 API reference,
   * GetObjectAttributes): the ETag without quotes, the checksum, the size, the storage class, and
   * the part count of an object uploaded in parts.
   */
  @Test
  void getObjectAttributesAnswersWhatItIsAskedFor() {
    String bucket = Data.bucket(a);
    byte[] body = Data.bytes(12_345, 10);
    PutObjectResponse put =
        a.putObject(
            p -> p.bucket(bucket).key("attrs").checksumAlgorithm(ChecksumAlgorithm.CRC32),
            RequestBody.fromBytes(body));
    var attributes =
        b.getObjectAttributes(r ->
            r.bucket(bucket)
                .key("attrs")
                .objectAttributes(
                    ObjectAttributes.E_TAG,
                    ObjectAttributes.CHECKSUM,
                    ObjectAttributes.OBJECT_SIZE,
                    ObjectAttributes.STORAGE_CLASS,
                    ObjectAttributes.OBJECT_PARTS));
    assertThat(attributes.eTag()).isEqualTo(put.eTag().replace("\"", ""));
    assertThat(attributes.objectSize()).isEqualTo(body.length);
    assertThat(attributes.storageClassAsString()).isEqualTo("STANDARD");
    assertThat(attributes.checksum().checksumCRC32()).isEqualTo(crc32(body));
    assertThat(attributes.objectParts()).as("not uploaded in parts").isNull();
    assertThat(attributes.lastModified()).isNotNull();

    var onlySize =
        b.getObjectAttributes(
            r -> r.bucket(bucket).key("attrs").objectAttributes(ObjectAttributes.OBJECT_SIZE));
    assertThat(onlySize.objectSize()).isEqualTo(body.length);
    assertThat(onlySize.eTag()).isNull();

    String upload = a.createMultipartUpload(c -> c.bucket(bucket).key("parts")).uploadId();
    byte[] part = Data.bytes(5 * 1024 * 1024, 11);
    var parts = new java.util.ArrayList<software.amazon.awssdk.services.s3.model.CompletedPart>();
    for (int n = 1; n <= 2; n++) {
      int number = n;
      String etag =
          a.uploadPart(
                  u -> u.bucket(bucket).key("parts").uploadId(upload).partNumber(number),
                  RequestBody.fromBytes(part))
              .eTag();
      parts.add(
          software.amazon.awssdk.services.s3.model.CompletedPart.builder()
              .partNumber(number)
              .eTag(etag)
              .build());
    }
    a.completeMultipartUpload(
        c -> c.bucket(bucket).key("parts").uploadId(upload).multipartUpload(m -> m.parts(parts)));
    var multipart =
        b.getObjectAttributes(r ->
            r.bucket(bucket)
                .key("parts")
                .objectAttributes(ObjectAttributes.OBJECT_PARTS, ObjectAttributes.OBJECT_SIZE));
    assertThat(multipart.objectParts().totalPartsCount()).isEqualTo(2);
    assertThat(multipart.objectSize()).isEqualTo(2L * part.length);

    dev.leasehold.testkit.S3Errors.assertError(
        () ->
            b.getObjectAttributes(
                r -> r.bucket(bucket).key("missing").objectAttributes(ObjectAttributes.E_TAG)),
        404,
        "NoSuchKey");
  }

  /**
   * A multipart upload whose parts carry CRC32s: each part's is kept and listed, and the object's
   * is the COMPOSITE one ("Checking object integrity": the checksum of the parts' checksums, then
   * {@code -N}), returned by the completion and, at the other site, by HEAD with checksum mode and
   * GetObjectAttributes. An S3 origin keeps no checksum of a multipart object (it cannot add one
   * after the upload began), so over S3Proxy none is claimed.
   */
  @Test
  void aMultipartUploadsPartChecksumsMakeItsCompositeChecksum() throws Exception {
    String bucket = Data.bucket(a);
    byte[][] parts = {
      Data.bytes(5 * 1024 * 1024, 1), Data.bytes(5 * 1024 * 1024, 2), Data.bytes(77, 3)
    };
    String uploadId =
        a.createMultipartUpload(
                c -> c.bucket(bucket).key("mp").checksumAlgorithm(ChecksumAlgorithm.CRC32))
            .uploadId();
    java.util.List<software.amazon.awssdk.services.s3.model.CompletedPart> done =
        new java.util.ArrayList<>();
    java.io.ByteArrayOutputStream partSums = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < parts.length; i++) {
      int n = i + 1;
      byte[] part = parts[i];
      var answer =
          a.uploadPart(
              u ->
                  u.bucket(bucket)
                      .key("mp")
                      .uploadId(uploadId)
                      .partNumber(n)
                      .checksumAlgorithm(ChecksumAlgorithm.CRC32),
              RequestBody.fromBytes(part));
      String crc = crc32(part);
      assertThat(answer.checksumCRC32()).isEqualTo(crc);
      partSums.write(Base64.getDecoder().decode(crc));
      done.add(
          software.amazon.awssdk.services.s3.model.CompletedPart.builder()
              .partNumber(n)
              .eTag(answer.eTag())
              .checksumCRC32(crc)
              .build());
    }
    String composite = crc32(partSums.toByteArray()) + "-" + parts.length;
    boolean kept = origin == OriginKind.DIRECTORY;
    if (kept) {
      assertThat(
              b.listParts(l -> l.bucket(bucket).key("mp").uploadId(uploadId)).parts().stream()
                  .map(p -> p.checksumCRC32()))
          .containsExactly(crc32(parts[0]), crc32(parts[1]), crc32(parts[2]));
    }
    var completed =
        a.completeMultipartUpload(
            c -> c.bucket(bucket).key("mp").uploadId(uploadId).multipartUpload(m -> m.parts(done)));
    HeadObjectResponse head =
        b.headObject(h -> h.bucket(bucket).key("mp").checksumMode(ChecksumMode.ENABLED));
    if (kept) {
      assertThat(completed.checksumCRC32()).isEqualTo(composite);
      assertThat(completed.checksumType()).isEqualTo(ChecksumType.COMPOSITE);
      assertThat(head.checksumCRC32()).isEqualTo(composite);
      assertThat(head.checksumType()).isEqualTo(ChecksumType.COMPOSITE);
      assertThat(
              b.getObjectAttributes(
                      r -> r.bucket(bucket).key("mp").objectAttributes(ObjectAttributes.CHECKSUM))
                  .checksum()
                  .checksumCRC32())
          .isEqualTo(composite);
      // Its parts, a page at a time, each with its size and checksum.
      var firstPage =
          b.getObjectAttributes(r ->
                  r.bucket(bucket)
                      .key("mp")
                      .objectAttributes(ObjectAttributes.OBJECT_PARTS)
                      .maxParts(2))
              .objectParts();
      assertThat(firstPage.totalPartsCount()).isEqualTo(3);
      assertThat(firstPage.isTruncated()).isTrue();
      assertThat(firstPage.nextPartNumberMarker()).isEqualTo(2);
      assertThat(firstPage.parts())
          .extracting(p -> p.partNumber() + " " + p.size() + " " + p.checksumCRC32())
          .containsExactly(
              "1 " + parts[0].length + " " + crc32(parts[0]),
              "2 " + parts[1].length + " " + crc32(parts[1]));
      var lastPage =
          b.getObjectAttributes(r ->
                  r.bucket(bucket)
                      .key("mp")
                      .objectAttributes(ObjectAttributes.OBJECT_PARTS)
                      .partNumberMarker(2))
              .objectParts();
      assertThat(lastPage.isTruncated()).isFalse();
      assertThat(lastPage.parts()).extracting(p -> p.partNumber()).containsExactly(3);
    } else {
      assertThat(completed.checksumCRC32()).isNull();
      assertThat(head.checksumCRC32()).isNull();
      assertThat(
              b.getObjectAttributes(r ->
                      r.bucket(bucket).key("mp").objectAttributes(ObjectAttributes.OBJECT_PARTS))
                  .objectParts()
                  .totalPartsCount())
          .isEqualTo(3);
    }
    // A copy is one part: the composite does not describe it, so it has none.
    a.copyObject(c ->
        c.sourceBucket(bucket).sourceKey("mp").destinationBucket(bucket).destinationKey("copy"));
    assertThat(
            b.headObject(h -> h.bucket(bucket).key("copy").checksumMode(ChecksumMode.ENABLED))
                .checksumCRC32())
        .isNull();
  }

  private static String crc32(byte[] body) {
    CRC32 crc = new CRC32();
    crc.update(body);
    return Base64.getEncoder()
        .encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
