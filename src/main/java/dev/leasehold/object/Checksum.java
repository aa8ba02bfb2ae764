package dev.leasehold.object;

import java.util.Locale;

/**
 * A checksum of a whole object (or of one part), stored with it because its writer sent it and the
 * site verified the body against it, or, for a multipart object, the checksum of its parts'
 * checksums followed by {@code -N} (S3's COMPOSITE type): S3's algorithm name ({@code CRC32},
 * {@code CRC32C}, {@code CRC64NVME}, {@code SHA1}, {@code SHA256}) and the base64 of its big-endian
 * bytes, as {@code x-amz-checksum-*} carries it. Immutable.
 */
public record Checksum(String algorithm, String value) {

  /**
   * S3's checksum type: {@code COMPOSITE} for a multipart object's checksum of its parts' checksums
   * (its value ends in {@code -N}, the number of parts), else {@code FULL_OBJECT}.
   */
  public String type() {
    return value.matches(".*-[0-9]+") ? "COMPOSITE" : "FULL_OBJECT";
  }

  /** The header that carries it, such as {@code x-amz-checksum-crc32}. */
  public String header() {
    return "x-amz-checksum-" + algorithm.toLowerCase(Locale.ROOT);
  }

  /** As one string, {@code ALGORITHM:value}, for stores that keep one string per name. */
  public String encoded() {
    return algorithm + ':' + value;
  }

  /** Reads {@link #encoded()}; null for a string it did not write. */
  public static @org.jspecify.annotations.Nullable Checksum decode(String encoded) {
    int colon = encoded.indexOf(':');
    if (colon <= 0 || colon == encoded.length() - 1) {
      return null;
    }
    String algorithm = encoded.substring(0, colon);
    String value = encoded.substring(colon + 1);
    if (!ALGORITHMS.contains(algorithm) || !value.matches("[A-Za-z0-9+/]+={0,2}(-[0-9]+)?")) {
      return null; // not one a site wrote: never shown as a checksum
    }
    return new Checksum(algorithm, value);
  }

  /**
   * The user-metadata name an origin that keeps no checksums of its own holds one under; no writer
   * may set it (an S3 client's {@code x-amz-meta-leasehold-checksum} is refused).
   */
  public static final String METADATA_NAME = "leasehold-checksum";

  /** The algorithms S3 names. */
  public static final java.util.Set<String> ALGORITHMS =
      java.util.Set.of("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256");
}
