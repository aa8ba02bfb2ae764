package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import org.jspecify.annotations.Nullable;

/**
 * WRITE asked early ({@link Leases#claimWrite}): either granted, or pending while the coordinator
 * recalls readers elsewhere, in which case the site may write the origin fenced on the version the
 * claim names and asks for the grant with {@link Leases#awaitGrant} (docs/protocol.md, Writes: the
 * origin write beside the recall). A pending claim holds the element's lock at this site until its
 * grant takes it over ({@link Leases#awaitGrant}) or its withdrawal was sent ({@link
 * Leases#withdraw}). Immutable.
 *
 * @param granted the grant, or null while pending
 * @param session the session the claim was made under
 * @param version the version the claim names (pending: the one to fence the origin write on)
 * @param info that version (null: the element does not exist); pending claims name known versions
 * @param claim the coordinator's number of a pending claim, which its withdrawal names (0: not
 *     known, and a withdrawal names none)
 */
public record WriteClaim(
    String bucket,
    String key,
    @Nullable WriteLease granted,
    long session,
    long version,
    @Nullable ObjectInfo info,
    long claim) {

  static WriteClaim of(WriteLease lease) {
    return new WriteClaim(
        lease.bucket(), lease.key(), lease, lease.session(), lease.version(), lease.info(), 0);
  }

  /** Whether the grant is still to be asked for: the readers are being recalled. */
  public boolean pending() {
    return granted == null;
  }
}
