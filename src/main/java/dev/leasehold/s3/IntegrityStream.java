package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Checks a body against what the client said about it: the signed SHA-256 ({@code
 * x-amz-content-sha256}), {@code Content-MD5}, and an {@code x-amz-checksum-*} value from a header
 * or, for streaming uploads, from the trailer. The checks run when the body ends, before the end is
 * reported: a body that fails one never ends cleanly, so it is never stored.
 *
 * <p>Confined to the request's thread.
 */
final class IntegrityStream extends BlockInputStream {
  private final InputStream in;
  private final @Nullable MessageDigest sha256;
  private final @Nullable String expectedSha256;
  private final @Nullable MessageDigest md5;
  private final byte @Nullable [] expectedMd5;
  private final ChecksumAlgorithm.@Nullable Digest checksum;
  private final @Nullable ChecksumAlgorithm algorithm;
  private final Supplier<@Nullable String> expectedChecksum;
  private boolean verified;
  private dev.leasehold.object.@Nullable Checksum checked;

  /**
   * @param expectedSha256 the hex SHA-256 the request signed, or null if it signed none
   * @param expectedMd5 the decoded Content-MD5, or null
   * @param algorithm the checksum to compute, or null
   * @param expectedChecksum its expected base64 value, asked for when the body has ended (a trailer
   *     arrives last)
   */
  IntegrityStream(
      InputStream in,
      @Nullable String expectedSha256,
      byte @Nullable [] expectedMd5,
      @Nullable ChecksumAlgorithm algorithm,
      Supplier<@Nullable String> expectedChecksum) {
    this.in = in;
    this.expectedSha256 = expectedSha256;
    this.sha256 = expectedSha256 == null ? null : digest("SHA-256");
    this.expectedMd5 = expectedMd5;
    this.md5 = expectedMd5 == null ? null : digest("MD5");
    this.algorithm = algorithm;
    this.checksum = algorithm == null ? null : algorithm.start();
    this.expectedChecksum = expectedChecksum;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n < 0) {
      verify();
      return -1;
    }
    if (sha256 != null) {
      sha256.update(b, off, n);
    }
    if (md5 != null) {
      md5.update(b, off, n);
    }
    if (checksum != null) {
      checksum.update(b, off, n);
    }
    return n;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private void verify() {
    if (verified) {
      return;
    }
    if (sha256 != null && !HexFormat.of().formatHex(sha256.digest()).equals(expectedSha256)) {
      throw S3Error.X_AMZ_CONTENT_SHA256_MISMATCH.exception();
    }
    if (md5 != null && !MessageDigest.isEqual(md5.digest(), expectedMd5)) {
      throw S3Error.BAD_DIGEST.exception();
    }
    if (checksum != null && algorithm != null) {
      String expected = expectedChecksum.get();
      if (expected == null) {
        throw S3Error.INVALID_REQUEST.exception(
            "The upload declared a " + algorithm.label() + " checksum but did not send it.");
      }
      byte[] want = algorithm.decode(expected);
      if (!MessageDigest.isEqual(checksum.finish(), want)) {
        throw S3Error.BAD_DIGEST.exception(
            "The " + algorithm.label() + " you specified did not match the calculated checksum.");
      }
      checked =
          new dev.leasehold.object.Checksum(
              algorithm.label(), java.util.Base64.getEncoder().encodeToString(want));
    }
    verified = true;
  }

  /**
   * The {@code x-amz-checksum-*} the body matched, once it has ended and every check held; null
   * before that, or if the request carried none.
   */
  dev.leasehold.object.@Nullable Checksum checked() {
    return verified ? checked : null;
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is part of every JDK", e);
    }
  }
}
