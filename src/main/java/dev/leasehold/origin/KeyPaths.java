package dev.leasehold.origin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How the directory origin names things on disk. An object with key {@code a/b} lives in the
 * directory {@code <bucket>/a/b/}, one directory level per {@code /}-separated segment, so that
 * {@code a/b} and {@code a/b/c} can both exist (each is a directory; {@code a/b/c/} sits inside
 * {@code a/b/}).
 *
 * <p>A segment is stored percent-encoded: bytes other than {@code A-Z a-z 0-9 - _ ~} (and {@code .}
 * after the first byte) become {@code %XX}. So no stored segment starts with a dot, and every name
 * that does ({@code .object}, {@code .data-*}, {@code .leasehold}) belongs to Leasehold. The empty
 * segment (as in {@code a//b} or {@code dir/}) is stored as {@code %}. A segment whose encoding is
 * longer than {@value #MAX_NAME} bytes is stored as a truncated encoding, {@code %%}, and a hash of
 * the segment, with the segment itself in a {@code .segment} file inside.
 *
 * <p>Stateless; safe to share.
 */
final class KeyPaths {
  static final int MAX_NAME = 200;
  static final String SEGMENT_FILE = ".segment";
  private static final String EMPTY = "%";
  private static final String LONG_MARK = "%%";
  private static final HexFormat HEX = HexFormat.of().withUpperCase();

  private KeyPaths() {}

  /** The directory of the object {@code key} under {@code bucketDir}. */
  static Path objectDir(Path bucketDir, String key) {
    Path dir = bucketDir;
    int start = 0;
    while (true) {
      int slash = key.indexOf('/', start);
      String segment = slash < 0 ? key.substring(start) : key.substring(start, slash);
      dir = dir.resolve(encode(segment));
      if (slash < 0) {
        return dir;
      }
      start = slash + 1;
    }
  }

  /** The stored name of one segment. */
  static String encode(String segment) {
    if (segment.isEmpty()) {
      return EMPTY;
    }
    byte[] bytes = segment.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length + 8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      if (isPlain(b) || (b == '.' && i > 0)) {
        out.append((char) b);
      } else {
        out.append('%').append(HEX.toHexDigits((byte) b));
      }
    }
    if (out.length() <= MAX_NAME) {
      return out.toString();
    }
    // Long: keep a readable head (never split inside %XX), then a hash of the whole segment.
    int head = MAX_NAME - 40;
    while (out.charAt(head - 1) == '%' || out.charAt(head - 2) == '%') {
      head--;
    }
    return out.substring(0, head) + LONG_MARK + sha256Hex(bytes).substring(0, 32);
  }

  /**
   * Creates the directory of {@code key} and its parents, recording the segment of every long name
   * on the way, and returns it.
   */
  static Path createObjectDir(Path bucketDir, String key) throws IOException {
    Path dir = bucketDir;
    int start = 0;
    while (true) {
      int slash = key.indexOf('/', start);
      String segment = slash < 0 ? key.substring(start) : key.substring(start, slash);
      String name = encode(segment);
      dir = dir.resolve(name);
      try {
        Files.createDirectories(dir);
      } catch (java.nio.file.FileAlreadyExistsException vanished) {
        // It existed, then a concurrent delete pruned it before it could be checked: the caller
        // starts again, as for any directory that vanishes under a write.
        throw new NoSuchFileException(dir.toString(), null, "removed while being created");
      }
      if (isLong(name)) {
        recordLongSegment(dir, segment);
      }
      if (slash < 0) {
        return dir;
      }
      start = slash + 1;
    }
  }

  /** Whether the stored name is a long one, whose segment is in {@link #SEGMENT_FILE}. */
  static boolean isLong(String name) {
    return name.contains(LONG_MARK);
  }

  /** The segment a stored name stands for, reading {@link #SEGMENT_FILE} for long names. */
  static String decode(Path dir) throws IOException {
    String name = dir.getFileName().toString();
    if (isLong(name)) {
      return Files.readString(dir.resolve(SEGMENT_FILE), StandardCharsets.UTF_8);
    }
    return decodeShort(name);
  }

  static String decodeShort(String name) {
    if (name.equals(EMPTY)) {
      return "";
    }
    byte[] out = new byte[name.length()];
    int n = 0;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '%' && i + 2 < name.length()) {
        out[n++] = (byte) HexFormat.fromHexDigits(name, i + 1, i + 3);
        i += 2;
      } else {
        out[n++] = (byte) c;
      }
    }
    return new String(out, 0, n, StandardCharsets.UTF_8);
  }

  /** Records the segment of a long name in its directory, once. */
  static void recordLongSegment(Path dir, String segment) throws IOException {
    Path file = dir.resolve(SEGMENT_FILE);
    try {
      if (Files.readString(file, StandardCharsets.UTF_8).equals(segment)) {
        return;
      }
    } catch (NoSuchFileException absent) {
      // first object under this long segment
    }
    Path tmp = dir.resolve(".tmp-segment-" + Long.toHexString(System.nanoTime()));
    Files.writeString(tmp, segment, StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static boolean isPlain(int b) {
    return (b >= 'a' && b <= 'z')
        || (b >= 'A' && b <= 'Z')
        || (b >= '0' && b <= '9')
        || b == '-'
        || b == '_'
        || b == '~';
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
