package dev.leasehold.site;

import dev.leasehold.object.ObjectInfo;

/**
 * The first step of every read: which version of an object a site may serve now. Cached chunks are
 * keyed by version, so whatever this answers is what the read serves, from the cache or the origin.
 *
 * <p>The answer comes from a READ lease ({@link LeaseVersionCheck}); with {@code origin-check 0s}
 * it is also checked at the origin on every read, as the foundation did before leases existed.
 * Implementations are thread-safe.
 */
public interface VersionCheck {
  /** The version to serve; {@code NoSuchKey} or {@code NoSuchBucket} if there is none. */
  ObjectInfo current(String bucket, String key);
}
