package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import org.jspecify.annotations.Nullable;

/**
 * A single byte range from an HTTP {@code Range} header (RFC 9110, 14.1.2): {@code bytes=a-b},
 * {@code bytes=a-} or {@code bytes=-n}. Immutable.
 *
 * @param first the first byte, or -1 for a suffix range
 * @param last the last byte, or -1 for an open range
 * @param suffix for a suffix range, the number of final bytes
 */
public record ByteRange(long first, long last, long suffix) {

  /**
   * The range a header asks for, or null when S3 serves the whole object instead: no header, a
   * header that does not parse, a unit other than bytes, several ranges, or {@code a > b}.
   */
  public static @Nullable ByteRange parse(@Nullable String header) {
    if (header == null) {
      return null;
    }
    String h = header.trim();
    if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
      return null;
    }
    String spec = h.substring(6).trim();
    if (spec.indexOf(',') >= 0) {
      return null;
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    String a = spec.substring(0, dash).trim();
    String b = spec.substring(dash + 1).trim();
    try {
      if (a.isEmpty()) {
        return b.isEmpty() || !digits(b) ? null : new ByteRange(-1, -1, Long.parseLong(b));
      }
      if (!digits(a) || (!b.isEmpty() && !digits(b))) {
        return null;
      }
      long first = Long.parseLong(a);
      long last = b.isEmpty() ? -1 : Long.parseLong(b);
      return last >= 0 && last < first ? null : new ByteRange(first, last, 0);
    } catch (NumberFormatException tooLarge) {
      return null;
    }
  }

  /** The bytes this range selects of an object of {@code size} bytes; 416 if none. */
  public ByteSpan resolve(long size) {
    if (first < 0) {
      if (suffix == 0 || size == 0) {
        throw unsatisfiable(size);
      }
      long n = Math.min(suffix, size);
      return new ByteSpan(size - n, n);
    }
    if (first >= size) {
      throw unsatisfiable(size);
    }
    long end = last < 0 ? size - 1 : Math.min(last, size - 1);
    return new ByteSpan(first, end - first + 1);
  }

  private dev.leasehold.error.S3Exception unsatisfiable(long size) {
    return S3Error.INVALID_RANGE
        .exception()
        .with("RangeRequested", toString())
        .with("ActualObjectSize", Long.toString(size));
  }

  private static boolean digits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return !s.isEmpty();
  }

  @Override
  public String toString() {
    if (first < 0) {
      return "bytes=-" + suffix;
    }
    return "bytes=" + first + "-" + (last < 0 ? "" : Long.toString(last));
  }
}
