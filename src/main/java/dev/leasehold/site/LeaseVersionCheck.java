package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.ReadLease;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.origin.Origin;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The version check of a site with leases (PROTOCOL.md, Leases; issue: read path):
 *
 * <ol>
 *   <li>holding READ(E), with the version known and checked against the origin within {@code
 *       originCheck}: that version, with no call leaving the site;
 *   <li>otherwise, acquire READ(E): one round trip to the coordinator, which names the version;
 *   <li>if the coordinator does not know the version (the object was never written through
 *       Leasehold), or the last look at the origin is older than {@code originCheck}: one HEAD at
 *       the origin, whose answer the lease then carries.
 * </ol>
 *
 * <p>The origin check bounds how long a write made directly at the origin, behind Leasehold, goes
 * unseen: at most {@code originCheck} (plus a renewal), at the price of at most one HEAD per object
 * read, per site, per {@code originCheck}. Writes through Leasehold are seen at once.
 *
 * <p>Thread-safe.
 */
public final class LeaseVersionCheck implements VersionCheck {
  private final Leases leases;
  private final Origin origin;
  private final long originCheckNanos;
  private final LongSupplier nanoTime;

  public LeaseVersionCheck(
      Leases leases, Origin origin, long originCheckNanos, LongSupplier nanoTime) {
    this.leases = leases;
    this.origin = origin;
    this.originCheckNanos = originCheckNanos;
    this.nanoTime = nanoTime;
  }

  @Override
  public ObjectInfo current(String bucket, String key) {
    try {
      ReadLease lease = leases.held(bucket, key);
      if (lease == null) {
        lease = leases.acquireRead(bucket, key);
      }
      if (!lease.known() || nanoTime.getAsLong() - lease.validatedNanos() > originCheckNanos) {
        lease = leases.learned(lease, headOrNull(origin, bucket, key));
      }
      ObjectInfo info = lease.info();
      if (info == null) {
        throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
      }
      return info;
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
  }

  /** The object's current version at the origin, or null if it has none. */
  static @Nullable ObjectInfo headOrNull(Origin origin, String bucket, String key) {
    try {
      return origin.head(bucket, key);
    } catch (S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_KEY) {
        return null;
      }
      throw e;
    }
  }
}
