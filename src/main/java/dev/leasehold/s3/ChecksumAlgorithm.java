package dev.leasehold.s3;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;
import org.jspecify.annotations.Nullable;

/**
 * The checksums S3 verifies on upload ({@code x-amz-checksum-*}), each carried as the base64 of its
 * big-endian bytes. Immutable.
 */
enum ChecksumAlgorithm {
  CRC32("CRC32", 4),
  CRC32C("CRC32C", 4),
  CRC64NVME("CRC64NVME", 8),
  SHA1("SHA1", 20),
  SHA256("SHA256", 32);

  private final String label;
  private final int bytes;

  ChecksumAlgorithm(String label, int bytes) {
    this.label = label;
    this.bytes = bytes;
  }

  /** The header that carries it, such as {@code x-amz-checksum-crc32}. */
  String header() {
    return "x-amz-checksum-" + name().toLowerCase(Locale.ROOT);
  }

  /** The name in error messages and {@code x-amz-sdk-checksum-algorithm}. */
  String label() {
    return label;
  }

  int length() {
    return bytes;
  }

  static @Nullable ChecksumAlgorithm ofHeader(String header) {
    for (ChecksumAlgorithm a : values()) {
      if (a.header().equalsIgnoreCase(header)) {
        return a;
      }
    }
    return null;
  }

  static @Nullable ChecksumAlgorithm ofLabel(String label) {
    for (ChecksumAlgorithm a : values()) {
      if (a.label.equalsIgnoreCase(label)) {
        return a;
      }
    }
    return null;
  }

  /** The bytes of a base64 value; {@code InvalidRequest} if it is not one of this length. */
  byte[] decode(String value) {
    try {
      byte[] decoded = java.util.Base64.getDecoder().decode(value.trim());
      if (decoded.length == bytes) {
        return decoded;
      }
    } catch (IllegalArgumentException notBase64) {
      // reported below
    }
    throw dev.leasehold.error.S3Error.INVALID_REQUEST.exception(
        "Value for " + header() + " header is invalid.");
  }

  Digest start() {
    return switch (this) {
      case CRC32 -> new ChecksumDigest(new CRC32(), 4);
      case CRC32C -> new ChecksumDigest(new CRC32C(), 4);
      case CRC64NVME -> new ChecksumDigest(new Crc64Nvme(), 8);
      case SHA1 -> new MessageDigestDigest("SHA-1");
      case SHA256 -> new MessageDigestDigest("SHA-256");
    };
  }

  /** A running checksum. Confined to one thread. */
  interface Digest {
    void update(byte[] b, int off, int len);

    byte[] finish();
  }

  private record ChecksumDigest(Checksum checksum, int bytes) implements Digest {
    @Override
    public void update(byte[] b, int off, int len) {
      checksum.update(b, off, len);
    }

    @Override
    public byte[] finish() {
      ByteBuffer out = ByteBuffer.allocate(8).putLong(checksum.getValue());
      byte[] result = new byte[bytes];
      System.arraycopy(out.array(), 8 - bytes, result, 0, bytes);
      return result;
    }
  }

  private static final class MessageDigestDigest implements Digest {
    private final MessageDigest md;

    MessageDigestDigest(String algorithm) {
      try {
        this.md = MessageDigest.getInstance(algorithm);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(algorithm + " is part of every JDK", e);
      }
    }

    @Override
    public void update(byte[] b, int off, int len) {
      md.update(b, off, len);
    }

    @Override
    public byte[] finish() {
      return md.digest();
    }
  }

  /**
   * CRC-64/NVME (poly 0xAD93D23594C93659, reflected, init and xor-out all ones), the CRC S3 calls
   * CRC64NVME. Table-driven, one byte at a time.
   */
  static final class Crc64Nvme implements Checksum {
    private static final long[] TABLE = new long[256];

    static {
      long poly = 0x9A6C9329AC4BC9B5L; // the polynomial, bit-reversed
      for (int i = 0; i < 256; i++) {
        long crc = i;
        for (int k = 0; k < 8; k++) {
          crc = (crc & 1) != 0 ? (crc >>> 1) ^ poly : crc >>> 1;
        }
        TABLE[i] = crc;
      }
    }

    private long crc = -1L;

    @Override
    public void update(int b) {
      crc = TABLE[(int) ((crc ^ b) & 0xff)] ^ (crc >>> 8);
    }

    @Override
    public void update(byte[] b, int off, int len) {
      long c = crc;
      for (int i = off; i < off + len; i++) {
        c = TABLE[(int) ((c ^ b[i]) & 0xff)] ^ (c >>> 8);
      }
      crc = c;
    }

    @Override
    public long getValue() {
      return ~crc;
    }

    @Override
    public void reset() {
      crc = -1L;
    }
  }
}
