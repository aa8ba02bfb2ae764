package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Which bucket names and object keys S3 accepts ("Bucket naming rules", "Naming objects").
 * Stateless; thread-safe.
 */
final class Names {
  static final int MAX_KEY_BYTES = 1024;
  private static final Pattern NEW_BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  private static final Pattern IP = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  private static final Pattern ANY_BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");

  private Names() {}

  /** The rules for a new bucket: CreateBucket refuses anything else. */
  static void checkNewBucket(String bucket) {
    if (!NEW_BUCKET.matcher(bucket).matches()
        || bucket.contains("..")
        || bucket.contains(".-")
        || bucket.contains("-.")
        || IP.matcher(bucket).matches()
        || bucket.startsWith("xn--")
        || bucket.startsWith("sthree-")
        || bucket.startsWith("amzn-s3-demo-")
        || bucket.endsWith("-s3alias")
        || bucket.endsWith("--ol-s3")
        || bucket.endsWith(".mrap")
        || bucket.endsWith("--x-s3")
        || bucket.endsWith("--table-s3")) {
      throw invalidBucket(bucket);
    }
  }

  /**
   * The rules for addressing a bucket that may exist: also the legacy names (capitals, underscores)
   * some origins still hold, but never anything that is not a single path segment.
   */
  static void checkBucket(String bucket) {
    if (!ANY_BUCKET.matcher(bucket).matches()) {
      throw invalidBucket(bucket);
    }
  }

  /**
   * The rules for a key: at most 1,024 bytes of UTF-8, no NUL, and S3's rule for relative path
   * segments ("Naming Amazon S3 objects"): read left to right, the {@code .} and {@code ..}
   * segments may never outnumber the other segments before them, so {@code a/../b} is a key (of its
   * own; S3 resolves nothing) and {@code ../b} or {@code ./b} is not.
   */
  static void checkKey(String key) {
    if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
      throw S3Error.KEY_TOO_LONG
          .exception()
          .with("Size", Integer.toString(key.getBytes(StandardCharsets.UTF_8).length))
          .with("MaxSizeAllowed", Integer.toString(MAX_KEY_BYTES));
    }
    if (key.indexOf('\0') >= 0) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Object key must not contain the NUL character.")
          .with("ArgumentName", "key");
    }
    int relative = 0;
    int named = 0;
    for (String segment : key.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        relative++;
      } else {
        named++;
      }
      if (relative > named) {
        throw S3Error.INVALID_ARGUMENT
            .exception(
                "Object key has more relative path segments (. or ..) than named segments before"
                    + " them.")
            .with("ArgumentName", "key")
            .with("ArgumentValue", key);
      }
    }
  }

  private static dev.leasehold.error.S3Exception invalidBucket(String bucket) {
    return S3Error.INVALID_BUCKET_NAME.exception().with("BucketName", bucket);
  }
}
