package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.HandSigner;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.RawHttp;
import dev.leasehold.testkit.Signer;
import dev.leasehold.testkit.Signer.Payload;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Bad input gets the S3 error AWS would give, never a stack trace or a hang, and leaves nothing
 * behind: no object at the origin, nothing staged, nothing cached. Requests are written byte for
 * byte over a socket (signed by the SDK's signer where they need to be), since no well-behaved
 * client sends them.
 */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class BadInputIT {
  static LocalCluster cluster;
  static S3Client s3;
  static URI endpoint;
  static String bucket;
  static Signer signer;

  @Parameter OriginKind origin;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind origin) {
    cluster = LocalCluster.builder().origin(origin).bodyTimeout("2s").start();
    s3 = cluster.client(0);
    endpoint = cluster.site(0).s3Endpoint();
    bucket = Data.bucket(s3);
    signer = new Signer(LocalCluster.CREDENTIALS);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    s3.close();
    cluster.close();
  }

  /**
   * "The PUT request header is limited to 8 KB in size" (Amazon S3 User Guide, "Working with object
   * metadata"): one header of 8 KiB on its own is over the limit.
   */
  @Test
  void oversizedHeaderSection() throws IOException {
    String big = "x".repeat(8 * 1024);
    RawHttp.Response r =
        RawHttp.send(
            endpoint,
            "PUT /"
                + bucket
                + "/bigheader HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nx-big: "
                + big
                + "\r\n",
            "v".getBytes());
    assertError(r, 400, "RequestHeaderSectionTooLarge");
    assertNothingWritten("bigheader");
  }

  /**
   * S3 documents no limit on the request line, and no valid request needs 20 KiB of it: a key is at
   * most 1,024 bytes, 3,072 characters percent-encoded. (Leasehold's own limit is 16 KiB; far
   * beyond it, the bytes left unread when the connection closes could reset it.)
   */
  @Test
  void overlongRequestLine() throws IOException {
    String path = "/" + bucket + "/" + "k".repeat(20 * 1024);
    RawHttp.Response r =
        RawHttp.send(endpoint, "GET " + path + " HTTP/1.1\r\nHost: h\r\n", new byte[0]);
    assertError(r, 400, "InvalidURI");
  }

  @Test
  void malformedXml() throws IOException {
    String[][] cases = {
      {"POST", "/" + bucket + "?delete", "<Delete><Object><Key>x</Key></Obj"},
      {"POST", "/" + bucket + "?delete", "<NotDelete/>"},
      {"POST", "/" + bucket + "?delete", "<Delete></Delete>"},
      {
        "POST",
        "/" + bucket + "?delete",
        "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
            + "<Delete><Object><Key>&e;</Key></Object></Delete>"
      },
      {"PUT", "/new-bucket-bad-xml", "<CreateBucketConfiguration><LocationConstraint>"},
      {"POST", "/" + bucket + "/mp?uploadId=" + upload(), "<CompleteMultipartUpload><Part>"},
    };
    for (String[] c : cases) {
      byte[] body = c[2].getBytes(StandardCharsets.UTF_8);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-MD5", Base64.getEncoder().encodeToString(Data.digest("MD5", body)));
      RawHttp.Response r = send(c[0], c[1], headers, body, Payload.SIGNED);
      assertThat(r.status()).as(c[2]).isEqualTo(400);
      assertThat(r.errorCode()).as(c[2]).isEqualTo("MalformedXML");
    }
    assertThat(send("HEAD", "/new-bucket-bad-xml", Map.of(), new byte[0], Payload.SIGNED).status())
        .isEqualTo(404);
  }

  @Test
  void deleteObjectsNeedsAnIntegrityHeader() throws IOException {
    byte[] body = "<Delete><Object><Key>k</Key></Object></Delete>".getBytes(StandardCharsets.UTF_8);
    RawHttp.Response r = send("POST", "/" + bucket + "?delete", Map.of(), body, Payload.SIGNED);
    assertError(r, 400, "InvalidRequest");
    assertThat(r.text()).contains("Content-MD5");
  }

  /**
   * An aws-chunked body that declares a small decoded length and then sends more chunks than that
   * is refused at its declared length (400 InvalidRequest), not read whole into memory: a
   * DeleteObjects body that declared 100 bytes and sent 160 MiB ran a site out of heap. Here the
   * same 160 MiB are sent, from another thread, while the answer is read: the 400 must come while
   * nearly all of them are still unsent, so the site cannot have held them.
   */
  @Test
  void anAwsChunkedBodyStopsAtItsDeclaredLength() throws Exception {
    byte[] xml = "<Delete><Object><Key>k</Key></Object></Delete>".getBytes(StandardCharsets.UTF_8);
    // aws-chunked framing (STREAMING-UNSIGNED-PAYLOAD-TRAILER): the declared XML in one chunk,
    // then 160 MiB more in chunks of 64 KiB, then the last chunk and a trailer.
    java.io.ByteArrayOutputStream first = new java.io.ByteArrayOutputStream();
    chunk(first, xml);
    java.io.ByteArrayOutputStream one = new java.io.ByteArrayOutputStream();
    chunk(one, Data.bytes(64 * 1024, 7));
    byte[] more = one.toByteArray();
    int count = 160 * 16;
    byte[] last = "0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    long length = first.size() + (long) count * more.length + last.length;
    String head =
        new HandSigner(LocalCluster.CREDENTIALS)
            .head(
                "POST",
                endpoint,
                "/" + bucket,
                "delete=",
                Map.of(
                    "Content-Encoding", "aws-chunked",
                    "Content-Length", Long.toString(length),
                    "Content-MD5", Base64.getEncoder().encodeToString(Data.digest("MD5", xml)),
                    "x-amz-decoded-content-length", Integer.toString(xml.length),
                    "x-amz-trailer", "x-amz-checksum-crc32"),
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    AtomicLong sent = new AtomicLong();
    try (Socket socket = new Socket(endpoint.getHost(), endpoint.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      Thread writer =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  out.write((head + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                  out.write(first.toByteArray());
                  for (int i = 0; i < count; i++) {
                    out.write(more);
                    sent.addAndGet(more.length);
                  }
                  out.write(last);
                  out.flush();
                } catch (IOException refused) {
                  // the site answered and closed: the rest is never read
                }
              });
      RawHttp.Response r = RawHttp.read(socket.getInputStream());
      long sentWhenAnswered = sent.get();
      socket.close();
      writer.join(30_000);
      assertError(r, 400, "InvalidRequest");
      assertThat(r.text()).contains("longer than its declared length");
      assertThat(sentWhenAnswered)
          .as("bytes sent past the declared length when the site answered")
          .isLessThan(16L * 1024 * 1024);
    }
  }

  private static void chunk(java.io.ByteArrayOutputStream out, byte[] data) {
    out.writeBytes((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(data);
    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void invalidBucketNames() throws IOException {
    for (String name :
        new String[] {
          "ab",
          "UPPER",
          "under_score",
          "a..b",
          "192.168.1.2",
          "-dash",
          "dash-",
          "xn--abc",
          "x".repeat(64)
        }) {
      RawHttp.Response r = send("PUT", "/" + name, Map.of(), new byte[0], Payload.SIGNED);
      assertThat(r.status()).as(name).isEqualTo(400);
      assertThat(r.errorCode()).as(name).isEqualTo("InvalidBucketName");
    }
    RawHttp.Response dotdot =
        RawHttp.send(endpoint, "GET /../x HTTP/1.1\r\nHost: h\r\n", new byte[0]);
    assertThat(dotdot.status()).isEqualTo(400);
    assertThat(dotdot.errorCode()).isEqualTo("InvalidBucketName");
  }

  @Test
  void invalidKeys() throws IOException {
    String[][] cases = {
      {"../escape", "InvalidArgument"},
      {"./here", "InvalidArgument"},
      {"a/../../above", "InvalidArgument"},
      {"nul%00byte", "InvalidArgument"},
      {"k".repeat(1025), "KeyTooLongError"},
      {"not-utf8-%C3%28", "InvalidURI"},
    };
    for (String[] c : cases) {
      RawHttp.Response r =
          send("PUT", "/" + bucket + "/" + c[0], Map.of(), "v".getBytes(), Payload.UNSIGNED);
      assertThat(r.status()).as(c[0]).isEqualTo(400);
      assertThat(r.errorCode()).as(c[0]).isEqualTo(c[1]);
    }
    // A malformed escape is refused before anything else looks at the request (no signer can
    // even sign it: it is not a URI).
    RawHttp.Response escape =
        RawHttp.send(
            endpoint,
            "PUT /" + bucket + "/bad%ZZ HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n",
            "v".getBytes());
    assertError(escape, 400, "InvalidURI");
    assertThat(s3.listObjectsV2(l -> l.bucket(bucket)).contents())
        .noneMatch(
            o -> o.key().contains("..") || o.key().startsWith("./") || o.key().contains("bad"));
  }

  @Test
  void longestKeyIsAccepted() {
    String key = "d/" + "k".repeat(1022); // exactly 1,024 bytes
    s3.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString("long"));
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asUtf8String())
        .isEqualTo("long");
    assertThat(s3.listObjectsV2(l -> l.bucket(bucket).prefix("d/")).contents())
        .extracting(o -> o.key())
        .containsExactly(key);
  }

  @Test
  void missingContentLength() throws IOException {
    var signed =
        signer.sign(
            "PUT", endpoint, "/" + bucket + "/nolength", Map.of(), new byte[0], Payload.UNSIGNED);
    String head = signed.head() + "Transfer-Encoding: chunked\r\n";
    RawHttp.Response r = RawHttp.send(endpoint, head, "5\r\nhello\r\n0\r\n\r\n".getBytes());
    assertError(r, 411, "MissingContentLength");
    assertNothingWritten("nolength");
  }

  @Test
  void truncatedBody() throws IOException {
    byte[] body = Data.bytes(100_000, 9);
    var signed =
        signer.sign("PUT", endpoint, "/" + bucket + "/truncated", Map.of(), body, Payload.UNSIGNED);
    byte[] half = java.util.Arrays.copyOf(body, body.length / 2);
    RawHttp.Response r = RawHttp.send(endpoint, signed.head(), half, true);
    assertError(r, 400, "IncompleteBody");
    assertNothingWritten("truncated");
  }

  @Test
  void stalledBodyTimesOut() throws IOException {
    byte[] body = Data.bytes(1000, 10);
    var signed =
        signer.sign("PUT", endpoint, "/" + bucket + "/stalled", Map.of(), body, Payload.UNSIGNED);
    long start = System.nanoTime();
    RawHttp.Response r = RawHttp.send(endpoint, signed.head(), new byte[10]);
    assertError(r, 400, "RequestTimeout");
    assertThat((System.nanoTime() - start) / 1_000_000).isBetween(1_500L, 20_000L);
    assertNothingWritten("stalled");
  }

  @Test
  void wrongAndMalformedDigests() throws IOException {
    byte[] body = "the real body".getBytes(StandardCharsets.UTF_8);
    String otherMd5 =
        Base64.getEncoder().encodeToString(Data.digest("MD5", "another body".getBytes()));
    assertError(
        send("PUT", "/" + bucket + "/md5", Map.of("Content-MD5", otherMd5), body, Payload.SIGNED),
        400,
        "BadDigest");
    assertError(
        send(
            "PUT",
            "/" + bucket + "/md5",
            Map.of("Content-MD5", "not-base64!"),
            body,
            Payload.SIGNED),
        400,
        "InvalidDigest");
    assertError(
        send(
            "PUT",
            "/" + bucket + "/md5",
            Map.of("x-amz-checksum-crc32", "AAAAAA=="),
            body,
            Payload.SIGNED),
        400,
        "BadDigest");
    assertError(
        send(
            "PUT",
            "/" + bucket + "/md5",
            Map.of("x-amz-checksum-sha256", "short"),
            body,
            Payload.SIGNED),
        400,
        "InvalidRequest");
    assertNothingWritten("md5");
    // The right ones are accepted.
    String md5 = Base64.getEncoder().encodeToString(Data.digest("MD5", body));
    String sha256 = Base64.getEncoder().encodeToString(Data.digest("SHA-256", body));
    RawHttp.Response ok =
        send(
            "PUT",
            "/" + bucket + "/md5",
            Map.of("Content-MD5", md5, "x-amz-checksum-sha256", sha256),
            body,
            Payload.SIGNED);
    assertThat(ok.status()).as(ok.text()).isEqualTo(200);
  }

  @Test
  void everyChecksumAlgorithmIsVerified() throws IOException {
    byte[] body = Data.bytes(70_000, 12);
    java.util.zip.CRC32 crc32 = new java.util.zip.CRC32();
    crc32.update(body);
    java.util.zip.CRC32C crc32c = new java.util.zip.CRC32C();
    crc32c.update(body);
    Map<String, byte[]> right =
        Map.of(
            "x-amz-checksum-crc32",
                java.nio.ByteBuffer.allocate(4).putInt((int) crc32.getValue()).array(),
            "x-amz-checksum-crc32c",
                java.nio.ByteBuffer.allocate(4).putInt((int) crc32c.getValue()).array(),
            "x-amz-checksum-sha1", Data.digest("SHA-1", body),
            "x-amz-checksum-sha256", Data.digest("SHA-256", body));
    for (Map.Entry<String, byte[]> c : right.entrySet()) {
      String good = Base64.getEncoder().encodeToString(c.getValue());
      byte[] flipped = c.getValue().clone();
      flipped[0] ^= 1;
      String bad = Base64.getEncoder().encodeToString(flipped);
      String key = "sum-" + c.getKey();
      assertError(
          send("PUT", "/" + bucket + "/" + key, Map.of(c.getKey(), bad), body, Payload.UNSIGNED),
          400,
          "BadDigest");
      assertNothingWritten(key);
      RawHttp.Response ok =
          send("PUT", "/" + bucket + "/" + key, Map.of(c.getKey(), good), body, Payload.UNSIGNED);
      assertThat(ok.status()).as(c.getKey() + ": " + ok.text()).isEqualTo(200);
    }
  }

  @Test
  void unknownOperationsAndMethods() throws IOException {
    assertError(
        send(
            "PUT",
            "/" + bucket + "?website",
            Map.of(),
            "<WebsiteConfiguration/>".getBytes(),
            Payload.SIGNED),
        501,
        "NotImplemented");
    assertThat(send("HEAD", "/" + bucket + "?cors", Map.of(), new byte[0], Payload.SIGNED).status())
        .as("no sub-resource has a HEAD: it is HeadBucket")
        .isEqualTo(200);
    assertError(
        send("POST", "/" + bucket + "/k", Map.of(), new byte[0], Payload.SIGNED),
        405,
        "MethodNotAllowed");
    assertError(
        send("PATCH", "/" + bucket + "/k", Map.of(), new byte[0], Payload.SIGNED),
        405,
        "MethodNotAllowed");
    assertError(
        send(
            "PUT",
            "/" + bucket + "/k",
            Map.of("x-amz-server-side-encryption", "aws:kms"),
            "v".getBytes(),
            Payload.SIGNED),
        400,
        "InvalidArgument");
    assertError(
        send(
            "PUT",
            "/" + bucket + "/k",
            Map.of("x-amz-acl", "everyone"),
            "v".getBytes(),
            Payload.SIGNED),
        400,
        "InvalidArgument");
    assertError(
        send(
            "PUT",
            "/" + bucket + "/k",
            Map.of("x-amz-storage-class", "COLD"),
            "v".getBytes(),
            Payload.SIGNED),
        400,
        "InvalidStorageClass");
    assertError(
        send(
            "PUT",
            "/" + bucket + "/k",
            Map.of("x-amz-tagging", "k=" + "v".repeat(257)),
            "v".getBytes(),
            Payload.SIGNED),
        400,
        "InvalidTag");
    assertError(
        send(
            "PUT",
            "/" + bucket + "?acl",
            Map.of(),
            "<AccessControlPolicy>".getBytes(),
            Payload.SIGNED),
        400,
        "MalformedXML");
    assertNothingWritten("k");
  }

  /**
   * "Within the PUT request header, the user-defined metadata is limited to 2 KB in size", counted
   * as the UTF-8 bytes of each key and value (Amazon S3 User Guide, "Working with object
   * metadata"): "big" and 2,046 bytes are 2,049, one past 2,048.
   */
  @Test
  void metadataTooLarge() throws IOException {
    RawHttp.Response r =
        send(
            "PUT",
            "/" + bucket + "/meta",
            Map.of("x-amz-meta-big", "m".repeat(2046)),
            "v".getBytes(),
            Payload.SIGNED);
    assertError(r, 400, "MetadataTooLarge");
    assertNothingWritten("meta");
  }

  /** A single PUT is at most 5 GB, 5,368,709,120 bytes (PutObject; "Uploading objects"). */
  @Test
  void entityTooLargeIsRefusedBeforeTheBody() throws IOException {
    var signed =
        signer.sign(
            "PUT", endpoint, "/" + bucket + "/huge", Map.of(), new byte[0], Payload.UNSIGNED);
    String head = signed.head() + "Content-Length: 5368709121\r\nExpect: 100-continue\r\n";
    RawHttp.Response r = RawHttp.send(endpoint, head, new byte[0]);
    assertError(r, 400, "EntityTooLarge");
    assertNothingWritten("huge");
  }

  @Test
  void unparseableRequests() throws IOException {
    RawHttp.Response r =
        RawHttp.send(
            endpoint,
            "PUT /" + bucket + "/x HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n",
            new byte[0]);
    // S3 documents no code for an unparseable header; InvalidRequest is its generic 400.
    assertError(r, 400, "InvalidRequest");
  }

  private static String upload() {
    return s3.createMultipartUpload(c -> c.bucket(bucket).key("mp")).uploadId();
  }

  private static RawHttp.Response send(
      String method, String path, Map<String, String> headers, byte[] body, Payload payload)
      throws IOException {
    var signed = signer.sign(method, endpoint, path, headers, body, payload);
    return RawHttp.send(endpoint, signed.head(), signed.body());
  }

  private static void assertError(RawHttp.Response r, int status, String code) {
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    assertThat(r.errorCode()).as(r.text()).isEqualTo(code);
    assertThat(r.text()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  /** Nothing at the origin, nothing left in staging, nothing in the cache under that key. */
  private static void assertNothingWritten(String key) throws IOException {
    assertThatThrownBy(() -> cluster.backdoor().head(bucket, key))
        .isInstanceOf(dev.leasehold.error.S3Exception.class)
        .satisfies(e ->
            assertThat(((dev.leasehold.error.S3Exception) e).error().code())
                .isEqualTo("NoSuchKey"));
    Path staging = cluster.site(0).config().stagingDir();
    try (Stream<Path> files = Files.list(staging)) {
      assertThat(files).isEmpty();
    }
    assertThat(cluster.site(0).cache().keys()).noneMatch(k -> k.key().equals(key));
  }
}
