package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Decodes an {@code aws-chunked} body, checking each chunk's signature as it ends, and the
 * trailer's signature, when the request was signed for it:
 *
 * <pre>
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          hex(size);chunk-signature=sig CRLF data CRLF ...
 *                                               0;chunk-signature=sig CRLF CRLF
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  ... 0;chunk-signature=sig CRLF
 *                                               name:value CRLF x-amz-trailer-signature:sig CRLF CRLF
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER          hex(size) CRLF data CRLF ... 0 CRLF
 *                                               name:value CRLF CRLF
 * </pre>
 *
 * <p>A chunk's string to sign is {@code AWS4-HMAC-SHA256-PAYLOAD \n timestamp \n scope \n
 * previous-signature \n sha256("") \n sha256(data)}, chained from the request's signature; the
 * trailer's is {@code AWS4-HMAC-SHA256-TRAILER \n timestamp \n scope \n previous-signature \n
 * sha256(trailer lines, each ending in \n)}. A bad signature fails the read that reaches the end of
 * its chunk, so a forged body never ends cleanly and is never stored.
 *
 * <p>Confined to the request's thread.
 */
final class AwsChunkedStream extends BlockInputStream {
  static final String SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  static final String SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
  static final String UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  private static final int MAX_LINE = 4096;

  private final InputStream in;
  private final @Nullable Authentication auth;
  private final boolean trailer;
  private final MessageDigest chunkHash;
  private final Map<String, String> trailers = new LinkedHashMap<>();
  private String previousSignature;
  private @Nullable String chunkSignature;
  private long chunkRemaining;
  private boolean inChunk;
  private boolean done;

  /**
   * @param mode one of the three streaming payload values
   * @param auth the request's authentication; chunk signatures are checked for the signed modes
   */
  AwsChunkedStream(InputStream in, String mode, Authentication auth) {
    this.in = in;
    this.trailer = !mode.equals(SIGNED);
    this.auth = mode.equals(UNSIGNED_TRAILER) ? null : auth;
    this.previousSignature = auth.signature();
    this.chunkHash = sha256();
  }

  /** The trailing headers, lower-cased names; complete once the stream has ended. */
  Map<String, String> trailers() {
    return trailers;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    if (done) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    while (chunkRemaining == 0) {
      if (inChunk) {
        endChunk();
      }
      if (!startChunk()) {
        done = true;
        return -1;
      }
    }
    int n = in.read(buf, off, (int) Math.min(len, chunkRemaining));
    if (n < 0) {
      throw S3Error.INCOMPLETE_BODY.exception();
    }
    chunkHash.update(buf, off, n);
    chunkRemaining -= n;
    return n;
  }

  /** Reads a chunk header; false after the final (empty) chunk and its trailer. */
  private boolean startChunk() throws IOException {
    String line = readLine();
    if (line == null) {
      throw S3Error.INCOMPLETE_BODY.exception();
    }
    int semi = line.indexOf(';');
    String size = semi < 0 ? line : line.substring(0, semi);
    chunkSignature = null;
    if (semi >= 0) {
      String ext = line.substring(semi + 1);
      if (!ext.startsWith("chunk-signature=")) {
        throw malformed("unknown chunk extension");
      }
      chunkSignature = ext.substring("chunk-signature=".length());
    }
    if (auth != null && chunkSignature == null) {
      throw malformed("a chunk has no signature");
    }
    try {
      chunkRemaining = Long.parseLong(size.trim(), 16);
    } catch (NumberFormatException e) {
      throw malformed("bad chunk size");
    }
    if (chunkRemaining < 0) {
      throw malformed("bad chunk size");
    }
    chunkHash.reset();
    if (chunkRemaining > 0) {
      inChunk = true;
      return true;
    }
    verifyChunk();
    readTrailer();
    return false;
  }

  private void endChunk() throws IOException {
    String crlf = readLine();
    if (crlf == null || !crlf.isEmpty()) {
      throw crlf == null
          ? S3Error.INCOMPLETE_BODY.exception()
          : malformed("chunk longer than its size");
    }
    inChunk = false;
    verifyChunk();
  }

  private void verifyChunk() {
    if (auth == null) {
      return;
    }
    String stringToSign =
        "AWS4-HMAC-SHA256-PAYLOAD\n"
            + auth.timestamp()
            + "\n"
            + auth.scope()
            + "\n"
            + previousSignature
            + "\n"
            + Authenticator.EMPTY_SHA256
            + "\n"
            + HexFormat.of().formatHex(chunkHash.digest());
    previousSignature = check(stringToSign, chunkSignature);
  }

  private void readTrailer() throws IOException {
    StringBuilder signedLines = new StringBuilder();
    String trailerSignature = null;
    while (true) {
      String line = readLine();
      if (line == null) {
        if (!trailer || (trailers.isEmpty() && trailerSignature == null)) {
          return; // tolerated: the final CRLF missing after the last chunk
        }
        throw S3Error.INCOMPLETE_BODY.exception();
      }
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw malformed("bad trailer line");
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (name.equals("x-amz-trailer-signature")) {
        trailerSignature = value;
      } else {
        trailers.put(name, value);
        signedLines.append(name).append(':').append(value).append('\n');
      }
    }
    if (!trailer && !trailers.isEmpty()) {
      throw malformed("trailers sent without x-amz-trailer");
    }
    if (auth != null && trailer) {
      if (trailerSignature == null) {
        throw malformed("the trailer has no signature");
      }
      String stringToSign =
          "AWS4-HMAC-SHA256-TRAILER\n"
              + auth.timestamp()
              + "\n"
              + auth.scope()
              + "\n"
              + previousSignature
              + "\n"
              + Authenticator.sha256Hex(signedLines.toString().getBytes(StandardCharsets.UTF_8));
      previousSignature = check(stringToSign, trailerSignature);
    }
  }

  private String check(String stringToSign, @Nullable String provided) {
    Authentication a = auth;
    if (a == null || provided == null) {
      throw malformed("missing signature");
    }
    String expected = HexFormat.of().formatHex(SigningKeys.hmac(a.signingKey(), stringToSign));
    if (!MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII),
        provided.getBytes(StandardCharsets.US_ASCII))) {
      throw S3Error.SIGNATURE_DOES_NOT_MATCH
          .exception()
          .with("StringToSign", stringToSign)
          .with("SignatureProvided", provided);
    }
    return expected;
  }

  /** A CRLF-terminated line without its terminator; null at end of stream before any byte. */
  private @Nullable String readLine() throws IOException {
    StringBuilder line = new StringBuilder(80);
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (line.length() == 0) {
          return null;
        }
        throw S3Error.INCOMPLETE_BODY.exception();
      }
      if (b == '\r') {
        int lf = in.read();
        if (lf != '\n') {
          throw lf < 0 ? S3Error.INCOMPLETE_BODY.exception() : malformed("CR without LF");
        }
        return line.toString();
      }
      if (line.length() >= MAX_LINE) {
        throw malformed("line too long");
      }
      line.append((char) b);
    }
  }

  private static S3Exception malformed(String detail) {
    return S3Error.INVALID_REQUEST.exception("The aws-chunked body is malformed: " + detail + ".");
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
