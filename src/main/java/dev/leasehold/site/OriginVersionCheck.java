package dev.leasehold.site;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.origin.Origin;

/**
 * The version check of a site without leases: one HEAD at the origin per read, whose ETag names the
 * chunks that may be served. A cache entry of any other version is never served. Thread-safe.
 */
public final class OriginVersionCheck implements VersionCheck {
  private final Origin origin;

  public OriginVersionCheck(Origin origin) {
    this.origin = origin;
  }

  @Override
  public ObjectInfo current(String bucket, String key) {
    return origin.head(bucket, key);
  }
}
