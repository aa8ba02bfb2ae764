package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.flush.Flusher;
import dev.leasehold.flush.JournalEntry;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.StaleEpochException;
import dev.leasehold.lease.WriteLease;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.Origin;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Every change of an element under WRITE(E) (docs/protocol.md, Writes, write-through):
 *
 * <ol>
 *   <li><b>acquire</b> WRITE(E): the coordinator recalls every other site's lease first;
 *   <li><b>check</b> the client's condition ({@code If-None-Match: *}, {@code If-Match}) against
 *       the current version, which the lease names (or the origin, if the coordinator does not know
 *       it);
 *   <li><b>change</b> the origin, fenced by a conditional write on that version, so that a grant
 *       that lapsed in the meantime can never overwrite a newer version;
 *   <li><b>commit</b> the new version with the grant's epoch (refused if stale); the site keeps a
 *       READ lease on it. Only then is the client answered.
 * </ol>
 *
 * <p>A change that fails ends the grant without a commit; if the origin may have changed anyway (no
 * clear answer from it), the coordinator marks the version unknown, so readers ask the origin.
 *
 * <p><b>Write-back</b> (a grant that says so, for a change that can be journaled): the change is
 * written to the journal (fsynced), then committed dirty; the site keeps the grant and owns the
 * element, so its next write here needs no grant. A change that cannot be journaled (completing a
 * multipart upload, whose parts are at the origin) flushes the element first, then writes through.
 *
 * <p>Thread-safe.
 */
final class WriteGuard {
  /** A change of the origin, made under a fencing condition; returns the new version or null. */
  @FunctionalInterface
  interface Change {
    @Nullable ObjectInfo apply(WriteCondition fence);
  }

  /** A change written to the journal instead of the origin; returns the entry written. */
  @FunctionalInterface
  interface Journaled {
    JournalEntry apply() throws IOException;
  }

  private final Leases leases;
  private final Origin origin;
  private final LeaseVersionCheck versions;
  private final Flusher flusher;

  WriteGuard(Leases leases, Origin origin, LeaseVersionCheck versions, Flusher flusher) {
    this.leases = leases;
    this.origin = origin;
    this.versions = versions;
    this.flusher = flusher;
  }

  /**
   * What a write did: the version it made (null after a delete), and whether it went to this site's
   * journal (write-back: the journal took the staged body over) or through to the origin.
   */
  record Written(@Nullable ObjectInfo info, boolean journaled) {}

  /** {@link #write(String, String, WriteCondition, Change, Journaled)} with no journaled form. */
  Written write(String bucket, String key, WriteCondition condition, Change change) {
    return write(bucket, key, condition, change, null);
  }

  /**
   * Changes {@code bucket/key} under WRITE: once the client's {@code condition} holds, {@code
   * journaled} runs if the grant is write-back and the change has a journaled form, else {@code
   * change}; its result (null for a delete) is committed.
   */
  Written write(
      String bucket,
      String key,
      WriteCondition condition,
      Change change,
      @Nullable Journaled journaled) {
    WriteLease lease;
    try {
      lease = leases.acquireWrite(bucket, key);
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
    // Under a prefix lease a new key's current version matters only to a condition (the flush
    // learns the one it replaces): an unconditional put asks nothing of anyone.
    boolean learn =
        lease.known()
            || !lease.underPrefix()
            || journaled == null
            || !condition.equals(WriteCondition.NONE);
    ObjectInfo current;
    try {
      current =
          lease.known()
              ? lease.info()
              : learn ? origin.headInBucket(bucket, key) : null; // the bucket was checked
      check(condition, current, key);
    } catch (RuntimeException e) {
      leases.abort(lease, false); // nothing changed
      throw e;
    }
    return lease.writeBack() && journaled != null
        ? journal(lease, current, learn, journaled)
        : writeThrough(lease, current, change);
  }

  /** Write-back: the change into the journal (fsynced), committed dirty; the grant is kept. */
  private Written journal(
      WriteLease lease, @Nullable ObjectInfo current, boolean learn, Journaled journaled) {
    JournalEntry entry;
    try {
      entry = journaled.apply();
    } catch (IOException e) {
      leases.abort(lease, false);
      throw S3Error.INTERNAL_ERROR
          .exception("The write could not be made durable at this site.")
          .causedBy(e);
    } catch (RuntimeException e) {
      leases.abort(lease, false);
      throw e;
    }
    try {
      // Ends this write whatever its outcome.
      leases.commitDirty(lease, entry.info(), entry.seq(), current, learn);
    } catch (StaleEpochException e) {
      flusher.dropUnacknowledged(entry);
      throw LeaseErrors.of(e);
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
    flusher.dirtied(lease.bucket(), lease.key());
    return new Written(entry.info(), true);
  }

  /** Write-through: the origin changed, fenced on the version the grant names, then committed. */
  private Written writeThrough(WriteLease lease, @Nullable ObjectInfo current, Change change) {
    boolean committed = false;
    boolean uncertain = false;
    try {
      if (lease.dirty()) {
        // Not journaled (a multipart completion): the origin must hold the latest version first.
        lease = flusher.flushHeld(lease);
        current = lease.info();
      }
      WriteCondition fence =
          current == null ? WriteCondition.IF_ABSENT : WriteCondition.ifMatch(current.etag());
      ObjectInfo stored;
      long started = System.nanoTime();
      try {
        uncertain = true;
        stored = change.apply(fence);
      } catch (S3Exception e) {
        uncertain = e.error().status() >= 500;
        if (e.error() == S3Error.PRECONDITION_FAILED
            || (e.error() == S3Error.NO_SUCH_KEY && current != null)) {
          // The fence held: the object changed at the origin behind Leasehold's back. What the
          // coordinator knows of it is stale: mark it unknown, so the retry asks the origin.
          uncertain = true;
          throw S3Error.SLOW_DOWN
              .exception("The object changed at the origin during the write; retry it.")
              .causedBy(e);
        }
        throw e;
      }
      committed = true; // the commit ends the grant, whatever its outcome
      versions.wrote(leases.commit(lease, stored), started);
      return new Written(stored, false);
    } catch (StaleEpochException e) {
      throw LeaseErrors.of(e);
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    } finally {
      if (!committed) {
        leases.abort(lease, uncertain);
      }
    }
  }

  /** The client's own condition, checked against the version the lease names. */
  private static void check(WriteCondition condition, @Nullable ObjectInfo current, String key) {
    if (condition.ifAbsent() && current != null) {
      throw S3Error.PRECONDITION_FAILED.exception().with("Condition", "If-None-Match");
    }
    String ifMatch = condition.ifMatch();
    if (ifMatch != null) {
      if (current == null) {
        throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
      }
      if (!ifMatch.equals(current.etag())) {
        throw S3Error.PRECONDITION_FAILED.exception().with("Condition", "If-Match");
      }
    }
  }
}
