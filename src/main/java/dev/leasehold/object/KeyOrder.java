package dev.leasehold.object;

import java.util.Comparator;

/**
 * The order S3 lists keys in: by their UTF-8 bytes, which is the order of their Unicode code points
 * (not Java's {@link String#compareTo}, which orders by UTF-16 code units and so puts
 * U+E000..U+FFFF after supplementary characters).
 *
 * <p>Stateless; safe to share.
 */
public final class KeyOrder {
  /** Orders strings by UTF-8 bytes. */
  public static final Comparator<String> UTF8 = KeyOrder::compare;

  private KeyOrder() {}

  public static int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  /**
   * A string that sorts after every key that starts with {@code prefix} and before every other key
   * that sorts after them: the prefix followed by the highest code point, repeated past the longest
   * key S3 allows (1,024 bytes). Used to resume a listing after a rolled-up common prefix.
   */
  public static String pastPrefix(String prefix) {
    StringBuilder s = new StringBuilder(prefix);
    int bytes = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    while (bytes <= 1024) {
      s.appendCodePoint(Character.MAX_CODE_POINT);
      bytes += 4;
    }
    return s.toString();
  }
}
