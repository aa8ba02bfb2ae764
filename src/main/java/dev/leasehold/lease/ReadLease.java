package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import org.jspecify.annotations.Nullable;

/**
 * A READ lease the site holds on one element, and what it says of the element: which version may be
 * served. Immutable; a new value replaces it when the site learns more.
 *
 * @param session the session it was granted to; it is void once that session is
 * @param version the coordinator's version number
 * @param known whether {@code info} describes the version; if not, the origin is the authority
 * @param info the version (null with {@code known}: the element does not exist)
 * @param grant the coordinator's number of this READ grant, which the lease's release names (0: a
 *     lease the coordinator did not grant, which is never kept nor released)
 * @param changedAt the place in the coordinator's log of the element's last change: an answer of
 *     the origin asked for after the site heard of that place may stand in for a HEAD under this
 *     lease (docs/protocol.md, Reads)
 */
public record ReadLease(
    String bucket,
    String key,
    long session,
    long version,
    boolean known,
    @Nullable ObjectInfo info,
    long grant,
    long changedAt) {

  /**
   * A lease no origin answer taken before it may stand in for the HEAD of (its {@code changedAt} is
   * past every place).
   */
  public ReadLease(
      String bucket,
      String key,
      long session,
      long version,
      boolean known,
      @Nullable ObjectInfo info,
      long grant) {
    this(bucket, key, session, version, known, info, grant, Long.MAX_VALUE);
  }

  /** This lease, now knowing the version is {@code info} (null: absent). */
  public ReadLease knowing(@Nullable ObjectInfo info) {
    return new ReadLease(bucket, key, session, version, true, info, grant, changedAt);
  }
}
