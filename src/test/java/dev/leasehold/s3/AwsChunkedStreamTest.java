package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * aws-chunked decoding against the S3 API reference's worked example ("Signature Calculations for
 * the Authorization Header: Transferring Payload in Multiple Chunks"): 66,560 bytes of 'a' in a 64
 * KiB chunk, a 1 KiB chunk and the final empty chunk.
 */
class AwsChunkedStreamTest {
  static final String SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  static final String[] CHUNK_SIGNATURES = {
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
  };

  static Authentication exampleAuth() {
    byte[] key =
        new SigningKeys().key(AuthenticatorTest.EXAMPLE.secretKey(), "20130524", "us-east-1", "s3");
    return new Authentication(
        "AKIAIOSFODNN7EXAMPLE",
        KeyScope.ALL,
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        key,
        SEED,
        AwsChunkedStream.SIGNED);
  }

  static byte[] exampleBody(String[] signatures) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int[] sizes = {65536, 1024, 0};
    for (int i = 0; i < 3; i++) {
      out.writeBytes(
          (Integer.toHexString(sizes[i]) + ";chunk-signature=" + signatures[i] + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      byte[] data = new byte[sizes[i]];
      Arrays.fill(data, (byte) 'a');
      out.writeBytes(data);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
  }

  static byte[] decode(byte[] body, String mode) throws IOException {
    try (InputStream in =
        new AwsChunkedStream(new ByteArrayInputStream(body), mode, exampleAuth())) {
      return in.readAllBytes();
    }
  }

  @Test
  void decodesAndVerifiesTheExample() throws IOException {
    byte[] decoded = decode(exampleBody(CHUNK_SIGNATURES), AwsChunkedStream.SIGNED);
    assertThat(decoded).hasSize(66560);
    assertThat(new String(decoded, StandardCharsets.US_ASCII)).matches("a{66560}");
  }

  @Test
  void aWrongChunkSignatureFailsTheRead() {
    String[] wrong = CHUNK_SIGNATURES.clone();
    wrong[1] = "0".repeat(64);
    assertSignatureDoesNotMatch(() -> decode(exampleBody(wrong), AwsChunkedStream.SIGNED));
    // Even the final, empty chunk's signature counts.
    String[] lastWrong = CHUNK_SIGNATURES.clone();
    lastWrong[2] = "1".repeat(64);
    assertSignatureDoesNotMatch(() -> decode(exampleBody(lastWrong), AwsChunkedStream.SIGNED));
  }

  private static void assertSignatureDoesNotMatch(ThrowingCallable decode) {
    assertThatThrownBy(decode)
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          assertThat(((S3Exception) e).error().code()).isEqualTo("SignatureDoesNotMatch");
          assertThat(((S3Exception) e).error().status()).isEqualTo(403);
        });
  }

  @Test
  void malformedFramingIsRefused() {
    String[][] cases = {
      {"zz;chunk-signature=" + CHUNK_SIGNATURES[0] + "\r\n", "InvalidRequest"},
      {"4;chunk-signature=" + CHUNK_SIGNATURES[0] + "\r\nabcdef\r\n", "InvalidRequest"},
      {"4\r\nabcd\r\n", "InvalidRequest"}, // no signature where one is required
      {"10000;chunk-signature=" + CHUNK_SIGNATURES[0] + "\r\naaaa", "IncompleteBody"},
      {"", "IncompleteBody"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(
              () -> decode(c[0].getBytes(StandardCharsets.US_ASCII), AwsChunkedStream.SIGNED))
          .as(c[0])
          .isInstanceOf(S3Exception.class)
          .satisfies(e -> {
            assertThat(((S3Exception) e).error().code()).isEqualTo(c[1]);
            assertThat(((S3Exception) e).error().status()).isEqualTo(400);
          });
    }
  }

  @Test
  void unsignedChunksWithATrailer() throws IOException {
    byte[] body =
        "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    AwsChunkedStream in =
        new AwsChunkedStream(
            new ByteArrayInputStream(body), AwsChunkedStream.UNSIGNED_TRAILER, exampleAuth());
    assertThat(in.readAllBytes()).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
    assertThat(in.trailers()).containsEntry("x-amz-checksum-crc32", "NhCmhg==");
  }
}
