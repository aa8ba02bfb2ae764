package dev.leasehold.s3;

import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a key pair may do: the buckets it may use, and whether it may change them. Immutable.
 *
 * @param buckets the buckets it may use, or null for every bucket
 * @param writable whether it may write (put, copy into, delete, create and delete buckets, upload
 *     parts); a read-only key may only read and list
 */
public record KeyScope(@Nullable Set<String> buckets, boolean writable) {
  /** Every bucket, read and write: the site's own key pair. */
  public static final KeyScope ALL = new KeyScope(null, true);

  public KeyScope {
    buckets = buckets == null ? null : Set.copyOf(buckets);
  }

  /** Whether the key may use {@code bucket} at all. */
  public boolean covers(String bucket) {
    return buckets == null || buckets.contains(bucket);
  }
}
