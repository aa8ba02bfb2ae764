package dev.leasehold.origin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.Payloads;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The behaviour every {@link Origin} connector owes the site, as one suite run against each: the
 * directory origin and the S3 connector (over S3Proxy, a real S3 server on loopback).
 */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class OriginContractIT {
  static final int MIB = 1024 * 1024;
  static final AtomicInteger BUCKETS = new AtomicInteger();

  static LocalCluster cluster;
  static Origin origin;

  @Parameter OriginKind kind;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind kind) {
    cluster = LocalCluster.builder().origin(kind).sites(0).start();
    origin = cluster.backdoor();
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    cluster.close();
  }

  static String bucket() {
    String b = "contract-" + BUCKETS.incrementAndGet();
    origin.createBucket(b);
    return b;
  }

  @Test
  void bucketsComeAndGo() {
    String b = bucket();
    assertThat(origin.bucketExists(b)).isTrue();
    assertThat(origin.listBuckets()).extracting(x -> x.name()).contains(b);
    assertCode(() -> origin.createBucket(b), "BucketAlreadyOwnedByYou", 409);
    origin.put(b, "k", Payloads.of("v"), ObjectMetadata.EMPTY, WriteCondition.NONE);
    assertCode(() -> origin.deleteBucket(b), "BucketNotEmpty", 409);
    origin.delete(b, "k", null);
    origin.deleteBucket(b);
    assertThat(origin.bucketExists(b)).isFalse();
    assertCode(() -> origin.head(b, "k"), "NoSuchBucket", 404);
    assertThat(origin.headInBucket(b, "k")).isNull();
    assertCode(() -> origin.list(b, new ListRequest("", null, null, 10)), "NoSuchBucket", 404);
  }

  @Test
  void putHeadAndRead() throws IOException {
    String b = bucket();
    byte[] body = Data.bytes(MIB + 7, 1);
    ObjectMetadata meta =
        new ObjectMetadata(
            "text/x-test",
            "gzip",
            "inline",
            "fr",
            "no-store",
            "Thu, 01 Jan 2037 00:00:00 GMT",
            Map.of("a", "1"));
    ObjectInfo put = origin.put(b, "dir/k", Payloads.of(body), meta, WriteCondition.NONE);
    assertThat(put.etag()).isEqualTo(Data.md5Hex(body));
    ObjectInfo head = origin.head(b, "dir/k");
    assertThat(head.size()).isEqualTo(body.length);
    assertThat(head.etag()).isEqualTo(put.etag());
    assertThat(head.partsCount()).isZero();
    assertThat(head.metadata().contentType()).isEqualTo("text/x-test");
    assertThat(head.metadata().contentEncoding()).isEqualTo("gzip");
    assertThat(head.metadata().contentDisposition()).isEqualTo("inline");
    assertThat(head.metadata().contentLanguage()).isEqualTo("fr");
    assertThat(head.metadata().cacheControl()).isEqualTo("no-store");
    assertThat(head.metadata().expires()).isEqualTo("Thu, 01 Jan 2037 00:00:00 GMT");
    assertThat(head.metadata().user()).containsExactly(Map.entry("a", "1"));
    try (InputStream in = origin.read(b, "dir/k", put.etag(), 1000, 5000)) {
      assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(body, 1000, 6000));
    }
    assertCode(
        () -> origin.read(b, "dir/k", "0123456789abcdef0123456789abcdef", 0, 10),
        "PreconditionFailed",
        412);
    assertCode(() -> origin.head(b, "missing"), "NoSuchKey", 404);
    assertThat(origin.headInBucket(b, "missing")).isNull();
    assertThat(origin.headInBucket(b, "dir/k")).isEqualTo(head);
  }

  /** A read that names no version: its answer says which version its bytes are of. */
  @Test
  void aPeekSaysWhichVersionItsBytesAreOf() throws IOException {
    String b = bucket();
    byte[] body = Data.bytes(MIB + 7, 2);
    ObjectMetadata meta =
        new ObjectMetadata("text/x-test", null, null, null, null, null, Map.of("a", "1"));
    ObjectInfo put = origin.put(b, "k", Payloads.of(body), meta, WriteCondition.NONE);
    ObjectInfo head = origin.head(b, "k");

    Peek start = origin.peek(b, "k", 0, 1000);
    assertThat(start).isNotNull();
    try (InputStream in = start.body()) {
      assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOf(body, 1000));
    }
    assertThat(start.version()).isNotNull();
    assertThat(start.version().etag()).isEqualTo(put.etag());
    assertThat(start.version().size()).isEqualTo(body.length); // the object's, not the range's
    assertThat(start.version().metadata().contentType()).isEqualTo("text/x-test");
    assertThat(start.version().metadata().user()).containsExactly(Map.entry("a", "1"));
    assertThat(start.version().lastModified()).isEqualTo(head.lastModified());
    assertThat(start.length()).isEqualTo(1000);

    // Past the end, fewer bytes: exactly those the object has.
    Peek end = origin.peek(b, "k", MIB, MIB);
    assertThat(end).isNotNull();
    assertThat(end.offset()).isEqualTo(MIB);
    assertThat(end.length()).isEqualTo(7);
    try (InputStream in = end.body()) {
      assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(body, MIB, MIB + 7));
    }

    // No such object: said so. No byte at the offset (or an empty object): cannot tell.
    Peek absent = origin.peek(b, "missing", 0, 10);
    assertThat(absent).isNotNull();
    assertThat(absent.version()).isNull();
    assertThat(origin.peek(b, "k", body.length + 10L, 10)).isNull();
    origin.put(b, "empty", Payloads.of(new byte[0]), ObjectMetadata.EMPTY, WriteCondition.NONE);
    // S3 answers a range of an empty object with 416 (cannot tell); a store that answers it
    // anyway must say the version and no bytes.
    Peek empty = origin.peek(b, "empty", 0, 10);
    assertThat(empty == null || (empty.version() != null && empty.length() == 0))
        .as("peek of an empty object: %s", empty)
        .isTrue();
  }

  @Test
  void conditionalWrites() {
    String b = bucket();
    ObjectInfo first =
        origin.put(b, "c", Payloads.of("one"), ObjectMetadata.EMPTY, WriteCondition.IF_ABSENT);
    assertCode(
        () ->
            origin.put(b, "c", Payloads.of("two"), ObjectMetadata.EMPTY, WriteCondition.IF_ABSENT),
        "PreconditionFailed",
        412);
    assertCode(
        () ->
            origin.put(
                b,
                "c",
                Payloads.of("two"),
                ObjectMetadata.EMPTY,
                WriteCondition.ifMatch("00000000000000000000000000000000")),
        "PreconditionFailed",
        412);
    ObjectInfo third =
        origin.put(
            b,
            "c",
            Payloads.of("three"),
            ObjectMetadata.EMPTY,
            WriteCondition.ifMatch(first.etag()));
    assertThat(origin.head(b, "c").etag()).isEqualTo(third.etag());
  }

  /**
   * A delete fenced by If-Match removes only that version. S3 has honoured If-Match on DeleteObject
   * since September 2025 and the directory origin does; S3Proxy ignores the header and deletes
   * whatever is there, so over it a stale delete is fenced only by the session deadline (see
   * docs/consistency.md).
   */
  @Test
  void conditionalDeletes() {
    String b = bucket();
    ObjectInfo first =
        origin.put(b, "cd", Payloads.of("one"), ObjectMetadata.EMPTY, WriteCondition.NONE);
    if (kind == OriginKind.DIRECTORY) {
      assertCode(
          () -> origin.delete(b, "cd", "00000000000000000000000000000000"),
          "PreconditionFailed",
          412);
      assertThat(origin.head(b, "cd").etag()).isEqualTo(first.etag());
    }
    origin.delete(b, "cd", first.etag());
    assertCode(() -> origin.head(b, "cd"), "NoSuchKey", 404);
    if (kind == OriginKind.DIRECTORY) {
      assertCode(() -> origin.delete(b, "cd", first.etag()), "NoSuchKey", 404);
    }
  }

  @Test
  void deleteIsIdempotent() {
    String b = bucket();
    origin.put(b, "d", Payloads.of("v"), ObjectMetadata.EMPTY, WriteCondition.NONE);
    origin.delete(b, "d", null);
    origin.delete(b, "d", null);
    assertCode(() -> origin.head(b, "d"), "NoSuchKey", 404);
  }

  @Test
  void listingPagesThroughPrefixesAndDelimiters() {
    String b = bucket();
    List<String> keys = List.of("a/1", "a/2", "b/x/1", "b/y", "c", "d/1");
    for (String k : keys) {
      origin.put(b, k, Payloads.of(k), ObjectMetadata.EMPTY, WriteCondition.NONE);
    }
    Listing all = origin.list(b, new ListRequest("", null, null, 1000));
    assertThat(all.objects()).extracting(ObjectInfo::key).containsExactlyElementsOf(keys);
    assertThat(all.truncated()).isFalse();

    Listing rolled = origin.list(b, new ListRequest("", "/", null, 1000));
    assertThat(rolled.objects()).extracting(ObjectInfo::key).containsExactly("c");
    assertThat(rolled.commonPrefixes()).containsExactly("a/", "b/", "d/");

    Listing inB = origin.list(b, new ListRequest("b/", "/", null, 1000));
    assertThat(inB.objects()).extracting(ObjectInfo::key).containsExactly("b/y");
    assertThat(inB.commonPrefixes()).containsExactly("b/x/");

    Listing page = origin.list(b, new ListRequest("", null, "a/2", 2));
    assertThat(page.objects()).extracting(ObjectInfo::key).containsExactly("b/x/1", "b/y");
    assertThat(page.truncated()).isTrue();
  }

  @Test
  void multipartUploads() throws IOException {
    String b = bucket();
    String id =
        origin.createUpload(
            b, "mp", new ObjectMetadata("x/y", null, null, null, null, null, Map.of("k", "v")));
    assertThat(origin.listUploads(b, new UploadListRequest("", null, null, null, 100)).uploads())
        .extracting(u -> u.uploadId())
        .containsExactly(id);
    byte[] p1 = Data.bytes(5 * MIB, 2);
    byte[] p2 = Data.bytes(123, 3);
    PartInfo i1 = origin.uploadPart(b, "mp", id, 1, Payloads.of(p1));
    PartInfo i2 = origin.uploadPart(b, "mp", id, 2, Payloads.of(p2));
    assertThat(i1.etag()).isEqualTo(Data.md5Hex(p1));
    assertThat(origin.listParts(b, "mp", id, 0, 100).parts())
        .extracting(PartInfo::partNumber)
        .containsExactly(1, 2);
    ObjectInfo done =
        origin.completeUpload(
            b,
            "mp",
            id,
            List.of(new CompletedPart(1, i1.etag()), new CompletedPart(2, i2.etag())),
            WriteCondition.NONE);
    assertThat(done.etag()).endsWith("-2");
    ObjectInfo head = origin.head(b, "mp");
    assertThat(head.size()).isEqualTo(p1.length + p2.length);
    assertThat(head.partsCount()).isEqualTo(2);
    assertThat(head.metadata().contentType()).isEqualTo("x/y");
    assertThat(head.metadata().user()).containsEntry("k", "v");
    try (InputStream in = origin.read(b, "mp", head.etag(), 5 * MIB - 3, 10)) {
      byte[] expected = new byte[10];
      System.arraycopy(p1, 5 * MIB - 3, expected, 0, 3);
      System.arraycopy(p2, 0, expected, 3, 7);
      assertThat(in.readAllBytes()).isEqualTo(expected);
    }
    assertThat(origin.listUploads(b, new UploadListRequest("", null, null, null, 100)).uploads())
        .isEmpty();

    String aborted = origin.createUpload(b, "gone", ObjectMetadata.EMPTY);
    origin.abortUpload(b, "gone", aborted);
    assertThat(origin.listUploads(b, new UploadListRequest("", null, null, null, 100)).uploads())
        .isEmpty();
  }

  /** The call fails with the S3 error code and HTTP status the S3 API reference gives it. */
  static void assertCode(Runnable call, String code, int status) {
    assertThatThrownBy(call::run)
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          S3Exception s = (S3Exception) e;
          assertThat(s.error().code()).isEqualTo(code);
          assertThat(s.error().status()).isEqualTo(status);
        });
  }
}
