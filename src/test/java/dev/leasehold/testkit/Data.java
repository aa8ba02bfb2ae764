package dev.leasehold.testkit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.s3.S3Client;

/** Test data: deterministic random bytes, digests, fresh bucket names. */
public final class Data {
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  /**
   * The order S3 lists keys in, "UTF-8 binary order" (ListObjectsV2 in the S3 API reference): by
   * the unsigned bytes of their UTF-8 encoding. Written out here so that expected listings do not
   * come from the production comparator they check.
   */
  public static final Comparator<String> UTF8_BINARY_ORDER =
      (a, b) ->
          Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private Data() {}

  /** {@code n} pseudo-random bytes, the same for the same seed. */
  public static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  public static String md5Hex(byte[] bytes) {
    return HexFormat.of().formatHex(digest("MD5", bytes));
  }

  /** The digest of {@code bytes} with a JDK algorithm ({@code MD5}, {@code SHA-256}, ...). */
  public static byte[] digest(String algorithm, byte[] bytes) {
    try {
      return MessageDigest.getInstance(algorithm).digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A random string of up to 7 code points drawn from ASCII, the top of the BMP and beyond it,
   * where UTF-8 order and Java's string order part ways.
   */
  public static String randomString(Random random) {
    StringBuilder s = new StringBuilder();
    int n = random.nextInt(8);
    for (int i = 0; i < n; i++) {
      int cp =
          switch (random.nextInt(4)) {
            case 0 -> 'a' + random.nextInt(4);
            case 1 -> 0x20 + random.nextInt(0x60);
            case 2 -> 0xE000 + random.nextInt(0x1FFF);
            default -> 0x10000 + random.nextInt(0x1000);
          };
      s.appendCodePoint(cp);
    }
    return s.toString();
  }

  /** Creates a bucket with a name no other test uses. */
  public static String bucket(S3Client s3) {
    String name = "b" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
    s3.createBucket(r -> r.bucket(name));
    return name;
  }
}
