package dev.leasehold.testkit;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.s3.S3Client;

/** Test data: deterministic random bytes, digests, fresh bucket names. */
public final class Data {
  private static final AtomicInteger BUCKETS = new AtomicInteger();

  private Data() {}

  /** {@code n} pseudo-random bytes, the same for the same seed. */
  public static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  public static String md5Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Creates a bucket with a name no other test uses. */
  public static String bucket(S3Client s3) {
    String name = "b" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
    s3.createBucket(r -> r.bucket(name));
    return name;
  }
}
