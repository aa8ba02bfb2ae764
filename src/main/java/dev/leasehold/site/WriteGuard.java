package dev.leasehold.site;

import static dev.leasehold.object.ObjectInfo.etagOf;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.flush.Flusher;
import dev.leasehold.flush.JournalEntry;
import dev.leasehold.flush.Uploader;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.StaleEpochException;
import dev.leasehold.lease.WriteClaim;
import dev.leasehold.lease.WriteLease;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.Origin;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
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
 *       READ lease on it. The client is answered as soon as the origin write returned within the
 *       session's deadline, with the commit on its way behind the answer (else after it).
 * </ol>
 *
 * <p>When the coordinator may not know the current version (this site holds nothing of the
 * element), an unconditional write asks the origin for it while the grant is being taken; the
 * fenced write checks that guess, and one that fails asks again under the grant.
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
  private final Uploader uploader;

  WriteGuard(Leases leases, Origin origin, LeaseVersionCheck versions, Flusher flusher) {
    this.leases = leases;
    this.origin = origin;
    this.uploader = new Uploader(origin);
    this.versions = versions;
    this.flusher = flusher;
  }

  /**
   * What a write did: the version it made (null after a delete), and whether it went to this site's
   * journal, which took the staged body over (write-back, or written first to the journal and then
   * through to the origin), so that the body is not the caller's to cache.
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
    if (journaled != null
        && condition.equals(WriteCondition.NONE)
        && leases.valid() // no entry for a write that cannot even ask (it would linger, in doubt)
        && leases.reclaimed()
        && leases.listing().overlaid(bucket)
        && leases.owned(bucket, key) == null
        && leases.prefixFor(bucket, key) == null) {
      return journalFirst(bucket, key, journaled);
    }
    Future<Guess> guess = guess(bucket, key, condition);
    WriteLease lease;
    try {
      WriteClaim claim = leases.claimWrite(bucket, key);
      if (claim.pending()) {
        cancel(guess); // the claim names the version to fence on
        return overlapped(claim, condition, change);
      }
      lease = Objects.requireNonNull(claim.granted(), "granted");
    } catch (LeaseUnavailableException e) {
      cancel(guess);
      throw LeaseErrors.of(e);
    } catch (RuntimeException e) {
      cancel(guess);
      throw e;
    }
    // Written back, a version the coordinator does not know matters only to a condition (the flush
    // learns the one it replaces, and it is the origin's while this site owns the element): an
    // unconditional write asks nothing of the origin.
    boolean journal = lease.writeBack() && journaled != null;
    boolean learn = lease.known() || !journal || !condition.equals(WriteCondition.NONE);
    ObjectInfo current;
    boolean guessed = false;
    try {
      if (lease.known()) {
        current = lease.info();
      } else if (!learn) {
        current = null;
      } else {
        Guess answered = guess == null || journal ? null : answered(guess);
        guessed = answered != null; // then the fenced write checks it
        current =
            answered != null
                ? answered.current()
                : origin.headInBucket(bucket, key); // the bucket was checked
      }
      check(condition, current, key);
    } catch (RuntimeException e) {
      leases.abort(lease, false); // nothing changed
      throw e;
    } finally {
      cancel(guess);
    }
    return journal && journaled != null
        ? journal(lease, current, learn, journaled)
        : writeThrough(lease, current, guessed, change);
  }

  /** The origin's answer to a HEAD taken beside the grant: its version then (null: none). */
  private record Guess(@Nullable ObjectInfo current) {}

  /**
   * The origin's current version, asked for while the grant is being taken: only for a write with
   * no condition of the client's (which must be checked against a version read under the grant), of
   * an element this site holds nothing of in a bucket nobody writes back (where the coordinator
   * names the version it knows, and the origin's is learned by the flush). Null if not asked.
   */
  private @Nullable Future<Guess> guess(String bucket, String key, WriteCondition condition) {
    if (!condition.equals(WriteCondition.NONE)
        || leases.listing().overlaid(bucket)
        || leases.held(bucket, key) != null) {
      return null;
    }
    Context request = Context.current();
    FutureTask<Guess> head =
        new FutureTask<>(() -> {
          try (Scope scope = request.makeCurrent()) {
            return new Guess(origin.headInBucket(bucket, key));
          }
        });
    Thread.ofVirtual().name("write-guess").start(head);
    return head;
  }

  /** The guess's answer, or null if the origin gave none (it is asked again under the grant). */
  private static @Nullable Guess answered(Future<Guess> guess) {
    try {
      return guess.get();
    } catch (ExecutionException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw S3Error.SLOW_DOWN.exception("The write was interrupted.");
    }
  }

  /**
   * Not interrupted once asked: a HEAD costs little, and an interrupted call costs a connection.
   */
  private static void cancel(@Nullable Future<?> guess) {
    if (guess != null) {
      guess.cancel(false);
    }
  }

  /**
   * An unconditional write in a bucket that may write back, of an element that needs a grant: into
   * the journal first (fsynced), then one round trip that takes WRITE and, write-back in effect,
   * has the leader commit the entry dirty with the grant (docs/protocol.md, Writes). If the bucket
   * writes through after all, the entry goes to the origin under the grant and leaves the journal.
   */
  private Written journalFirst(String bucket, String key, Journaled journaled) {
    AtomicReference<@Nullable JournalEntry> written = new AtomicReference<>();
    WriteLease lease;
    try {
      lease =
          leases.acquireWriteDirty(
              bucket,
              key,
              () -> {
                JournalEntry e = durable(journaled); // under the element's lock
                written.set(e);
                return new Leases.Journaled(e.info(), e.seq());
              });
    } catch (LeaseUnavailableException e) {
      JournalEntry unanswered = written.get();
      if (unanswered != null
          && (e.reason() == LeaseUnavailableException.Reason.BUSY
              || e.reason() == LeaseUnavailableException.Reason.OWNER_DOWN
              || e.reason() == LeaseUnavailableException.Reason.REFUSED)) {
        flusher.dropUnacknowledged(unanswered); // nothing was granted, so nothing committed
      } // else in doubt: the leader may have committed it, and the entry is its only copy
      throw LeaseErrors.of(e);
    }
    JournalEntry entry = java.util.Objects.requireNonNull(written.get(), "journaled");
    if (!lease.writeBack()) {
      try {
        ObjectInfo current =
            lease.known() ? lease.info() : origin.headInBucket(bucket, key); // checked bucket
        Written through =
            writeThrough(lease, current, false, fence -> uploader.upload(entry, fence, () -> true));
        return new Written(through.info(), true); // the journal took the staged body over
      } finally {
        flusher.dropUnacknowledged(entry); // at the origin now, or never acknowledged
      }
    }
    // Committed with the grant, this makes no call; if the leader could not, it is the commit.
    return commit(lease, entry, lease.known() ? lease.info() : null, lease.known());
  }

  /** The change, written to the journal and fsynced. */
  private static JournalEntry durable(Journaled journaled) {
    try {
      return journaled.apply();
    } catch (IOException e) {
      throw S3Error.INTERNAL_ERROR
          .exception("The write could not be made durable at this site.")
          .causedBy(e);
    }
  }

  /** Write-back: the change into the journal (fsynced), committed dirty; the grant is kept. */
  private Written journal(
      WriteLease lease, @Nullable ObjectInfo current, boolean learn, Journaled journaled) {
    JournalEntry entry;
    try {
      entry = durable(journaled);
    } catch (RuntimeException e) {
      leases.abort(lease, false);
      throw e;
    }
    return commit(lease, entry, current, learn);
  }

  /** The journal's {@code entry} committed dirty under {@code lease}, which the site keeps. */
  private Written commit(
      WriteLease lease, JournalEntry entry, @Nullable ObjectInfo current, boolean learn) {
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
  private Written writeThrough(
      WriteLease lease, @Nullable ObjectInfo current, boolean guessed, Change change) {
    boolean committed = false;
    boolean uncertain = false;
    try {
      if (lease.dirty()) {
        // Not journaled (a multipart completion): the origin must hold the latest version first.
        lease = flusher.flushHeld(lease);
        current = lease.info();
        guessed = false;
      }
      ObjectInfo stored;
      long started = System.nanoTime();
      while (true) {
        WriteCondition fence = WriteCondition.heldAt(current);
        try {
          uncertain = true;
          stored = change.apply(fence);
          break;
        } catch (S3Exception e) {
          boolean held = fenceHeld(e, current);
          uncertain = held || e.error().status() >= 500;
          if (held && guessed) {
            // The guess taken beside the grant was stale (nothing was written): ask again.
            guessed = false;
            current = origin.headInBucket(lease.bucket(), lease.key());
            continue;
          }
          throw failure(e, current);
        }
      }
      committed = true; // the commit ends the grant, whatever its outcome
      return commit(lease, stored, started);
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

  /**
   * The write at the origin is done under {@code lease}: committed, behind the answer if it may.
   */
  private Written commit(WriteLease lease, @Nullable ObjectInfo stored, long started) {
    if (!leases.commitBehind(lease, stored, read -> versions.wrote(read, started))) {
      versions.wrote(leases.commit(lease, stored), started);
    }
    return new Written(stored, false);
  }

  /** Whether the origin refused a write for its fence: the version it was fenced on is gone. */
  private static boolean fenceHeld(S3Exception e, @Nullable ObjectInfo current) {
    return e.error() == S3Error.PRECONDITION_FAILED
        || (e.error() == S3Error.NO_SUCH_KEY && current != null);
  }

  /**
   * What the client hears of a failed origin write: a fence that held means the object changed at
   * the origin behind Leasehold's back (the grant is aborted as uncertain, so the version becomes
   * unknown and the retry asks the origin); anything else as the origin said it.
   */
  private static S3Exception failure(S3Exception e, @Nullable ObjectInfo current) {
    return fenceHeld(e, current)
        ? S3Error.SLOW_DOWN
            .exception("The object changed at the origin during the write; retry it.")
            .causedBy(e)
        : e;
  }

  /**
   * A write-through write whose claim waits for readers elsewhere to be recalled: the origin write,
   * fenced on the version the claim names, runs while the grant is asked for; the client is
   * answered when both are done (docs/protocol.md, Writes: the origin write beside the recall).
   * Whatever fails, the claim is ended once the origin write has: a grant is aborted (as uncertain
   * if the origin may have changed), a claim not granted is withdrawn, so none lingers.
   */
  private Written overlapped(WriteClaim claim, WriteCondition condition, Change change) {
    ObjectInfo current = claim.info();
    Context request = Context.current();
    CompletableFuture<WriteLease> grant =
        CompletableFuture.supplyAsync(
            () -> {
              try (Scope scope = request.makeCurrent()) {
                return leases.awaitGrant(claim);
              }
            },
            task -> Thread.ofVirtual().name("write-grant").start(task));
    long started = System.nanoTime();
    @Nullable ObjectInfo stored = null;
    Throwable failed = null;
    boolean uncertain = false;
    try {
      check(condition, current, claim.key()); // the client's condition: nothing written yet
      WriteCondition fence = WriteCondition.heldAt(current);
      uncertain = true;
      try {
        stored = change.apply(fence);
        uncertain = false;
      } catch (S3Exception e) {
        uncertain = fenceHeld(e, current) || e.error().status() >= 500;
        throw failure(e, current);
      }
    } catch (Throwable t) {
      failed = t;
    }
    // The origin write has ended: from here the claim may be ended, whatever comes of it.
    WriteLease lease;
    try {
      lease = grant.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      grant.whenComplete((granted, error) -> {
        if (granted != null) {
          leases.abort(granted, true);
        } else {
          leases.withdraw(claim);
        }
      });
      throw S3Error.SLOW_DOWN.exception("The write was interrupted.");
    } catch (ExecutionException e) {
      leases.withdraw(claim); // not granted: in doubt at the coordinator, behind its readers
      if (failed != null) {
        throw unchecked(failed);
      }
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw cause instanceof LeaseUnavailableException u ? LeaseErrors.of(u) : unchecked(cause);
    }
    if (failed == null
        && (lease.version() != claim.version()
            || !Objects.equals(etagOf(lease.info()), etagOf(claim.info())))) {
      // The claim was lost and taken again meanwhile: what the origin holds is not known here.
      uncertain = true;
      failed = S3Error.SLOW_DOWN.exception("The write lost its claim to the object; retry it.");
    }
    if (failed != null) {
      leases.abort(lease, uncertain);
      throw unchecked(failed);
    }
    try {
      return commit(lease, stored, started);
    } catch (StaleEpochException e) {
      throw LeaseErrors.of(e);
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
  }

  /** {@code t} to throw: itself if unchecked (an Error is thrown here), else wrapped. */
  private static RuntimeException unchecked(Throwable t) {
    if (t instanceof Error error) {
      throw error;
    }
    return t instanceof RuntimeException r ? r : new IllegalStateException(t);
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
