package dev.leasehold.site;

import dev.leasehold.object.ObjectInfo;

/**
 * The first step of every read: which version of an object a site may serve now. Cached chunks are
 * keyed by version, so whatever this answers is what the read serves, from the cache or the origin.
 *
 * <p>Until sites hold leases ({@code lease} package), the answer comes from a cheap freshness check
 * at the origin ({@link OriginVersionCheck}); a lease check replaces it without touching the rest
 * of the read path. Implementations are thread-safe.
 */
public interface VersionCheck {
  /** The version to serve; {@code NoSuchKey} or {@code NoSuchBucket} if there is none. */
  ObjectInfo current(String bucket, String key);
}
