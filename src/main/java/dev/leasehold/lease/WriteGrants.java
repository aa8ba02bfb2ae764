package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.protocol.AbortWrite;
import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.ReleaseLeases;
import dev.leasehold.protocol.VersionInfo;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WRITE grants (docs/protocol.md, Writes): taking one, and ending it by a commit (at the origin, or
 * dirty in the journal) or an abort.
 *
 * <p>One write per element at a time at a site, each under its own grant: a grant shared by two
 * requests would let one's abort end the other's write. The commit leaves the site its READ lease,
 * and any other end of the grant leaves it none (as at the coordinator). An element this site owns,
 * or one under its open prefix lease, is written with no round trip.
 *
 * <p>A write-through write whose origin write landed within the session's deadline is answered
 * before its commit, which follows on a virtual thread ({@link #commitBehind}); until that commit
 * ends, a read of the element here waits for it ({@link #awaitCommit}), since the coordinator would
 * still name the version before the write.
 *
 * <p>Thread-safe: each write holds its element's lock in {@link WritesInFlight} from its grant to
 * its end (a commit behind the answer holds it until that commit ends), and changes what {@link
 * Ownership} holds of the element only under it. A pending claim ({@link #claimEarly}) holds the
 * lock from its claim until its grant takes it over ({@link #awaitGrant}) or its withdrawal has
 * been sent ({@link #withdraw}). {@link #committing} is written by the write that hands its commit
 * over (before it answers) and by the thread that ends that commit.
 */
final class WriteGrants {
  private static final Logger LOG = LoggerFactory.getLogger(WriteGrants.class);
  private static final long CALL_MILLIS = CoordinatorLink.CALL_MILLIS;

  private final CoordinatorLink link;
  private final LeaseSettings settings;
  private final SiteSession session;
  private final AcquireCall acquire;
  private final ReadLeases reads;
  private final WritesInFlight writes;
  private final Ownership ownership;
  private final HeldPrefixes prefixes;
  private final LongAdder granted = new LongAdder();
  private final LongAdder overlapped = new LongAdder();

  /** The commits on their way after their write was answered, by element. */
  private final Map<LeaseKey, CompletableFuture<Void>> committing = new ConcurrentHashMap<>();

  WriteGrants(
      CoordinatorLink link,
      LeaseSettings settings,
      SiteSession session,
      AcquireCall acquire,
      ReadLeases reads,
      WritesInFlight writes,
      Ownership ownership,
      HeldPrefixes prefixes) {
    this.link = link;
    this.settings = settings;
    this.session = session;
    this.acquire = acquire;
    this.reads = reads;
    this.writes = writes;
    this.ownership = ownership;
    this.prefixes = prefixes;
  }

  long granted() {
    return granted.sum();
  }

  /** Claims answered pending: writes that wrote the origin while readers were recalled. */
  long overlapped() {
    return overlapped.sum();
  }

  /** See {@link Leases#acquireWrite(String, String, boolean)}. */
  WriteLease acquire(String bucket, String key, boolean redirectable) {
    return acquire(bucket, key, redirectable, null);
  }

  /**
   * See {@link Leases#acquireWrite(String, String, boolean)}; with {@code journal}, the write put
   * in the journal under the element's lock, for the leader to commit dirty with the grant ({@link
   * Leases#acquireWriteDirty}).
   */
  WriteLease acquire(
      String bucket,
      String key,
      boolean redirectable,
      @Nullable Supplier<Leases.Journaled> journal) {
    return Objects.requireNonNull(
        claim(bucket, key, redirectable, journal, false).granted(), "granted");
  }

  /** See {@link Leases#claimWrite}. */
  WriteClaim claimEarly(String bucket, String key) {
    return claim(bucket, key, false, null, true);
  }

  /**
   * WRITE claimed: granted, or with {@code early} pending (the lock stays taken for {@link
   * #awaitGrant}). Without {@code early}, always granted or thrown.
   */
  private WriteClaim claim(
      String bucket,
      String key,
      boolean redirectable,
      @Nullable Supplier<Leases.Journaled> journal,
      boolean early) {
    long id = session.require();
    LeaseKey k = new LeaseKey(bucket, key);
    if (!writes.lock(k, settings.acquireWait())) {
      throw AcquireCall.busy(bucket, key);
    }
    boolean locked = false;
    try {
      // Under the lock: a flush of the element (which takes it too) cannot drop this entry as
      // superseded before it is committed, nor can another write here commit an older one after it.
      Leases.Journaled dirty = journal == null ? null : journal.get();
      WriteLease mine = ownership.get(k);
      PrefixLease prefix = prefixes.covering(bucket, key);
      if (mine != null && session.valid(mine.session()) && !mine.underPrefix()) {
        writes.begin(k, mine, null); // this site owns the element: no round trip
        locked = true;
        return WriteClaim.of(mine);
      }
      if (prefix != null && prefix.enter()) {
        // Under this site's prefix lease: no round trip, whether the key is new or not.
        WriteLease under =
            mine != null && mine.underPrefix()
                ? mine
                : WriteLease.underPrefix(bucket, key, prefix.session(), prefix.epoch());
        writes.begin(k, under, prefix);
        locked = true;
        return WriteClaim.of(under);
      }
      reads.forget(k);
      AcquireReply reply;
      try {
        reply =
            early
                ? acquire.acquireEarly(id, bucket, key)
                : dirty == null
                    ? acquire.acquire(id, bucket, key, Mode.WRITE, redirectable)
                    : acquire.acquire(
                        id,
                        bucket,
                        key,
                        Mode.WRITE,
                        redirectable,
                        Versions.proto(dirty.written()),
                        dirty.journalSeq());
      } catch (LeaseUnavailableException e) {
        if (early && e.reason() == LeaseUnavailableException.Reason.UNREACHABLE) {
          // No clear answer: the claim may stand, fenced, and nothing was written under it.
          locked = true; // the withdrawal gives the lock back
          withdraw(new WriteClaim(bucket, key, null, id, 0, null, 0));
        }
        throw e;
      }
      if (reply.getMode() != Mode.WRITE) {
        // Pending: the readers are being recalled. The lock stays taken for awaitGrant.
        VersionInfo v = reply.getVersion();
        overlapped.increment();
        locked = true;
        return new WriteClaim(
            bucket, key, null, id, v.getVersion(), Versions.info(key, v), reply.getClaim());
      }
      WriteLease lease = granted(k, id, reply);
      locked = true;
      return WriteClaim.of(lease);
    } finally {
      if (!locked) {
        writes.unlock(k);
      }
    }
  }

  /** See {@link Leases#awaitGrant}. */
  WriteLease awaitGrant(WriteClaim claim) {
    if (!claim.pending()) {
      return Objects.requireNonNull(claim.granted(), "granted");
    }
    AcquireReply reply = acquire.acquireAfterPending(claim.session(), claim.bucket(), claim.key());
    return granted(new LeaseKey(claim.bucket(), claim.key()), claim.session(), reply);
  }

  /**
   * See {@link Leases#withdraw}: on a thread of its own, so that the write's answer does not wait
   * for it; the element's lock is given back only after it, so that no later claim of the element
   * here is the one withdrawn.
   */
  void withdraw(WriteClaim claim) {
    Thread.ofVirtual()
        .name("withdraw")
        .start(() -> {
          try {
            sendWithdraw(claim);
          } finally {
            writes.unlock(new LeaseKey(claim.bucket(), claim.key())); // the claim's lock
          }
        });
  }

  /**
   * A release of the element naming the claim (best effort): it withdraws that claim only, so a
   * late copy cannot withdraw a newer one. A claim whose number is not known (its answer was lost)
   * is withdrawn by a release naming none, which ends whatever the session holds of the element.
   */
  private void sendWithdraw(WriteClaim claim) {
    ReleaseLeases.Builder release =
        ReleaseLeases.newBuilder()
            .setSession(claim.session())
            .addElements(Versions.element(claim.bucket(), claim.key()));
    if (claim.claim() != 0) {
      release.addGrants(0).addClaims(claim.claim());
    }
    try {
      link.submit(Command.newBuilder().setRelease(release).build(), CALL_MILLIS);
    } catch (LeaseUnavailableException e) {
      // The claim ends with the session anyway; until then the element waits, never wrongly.
      LOG.warn(
          "could not withdraw the claim on {}/{}: {}", claim.bucket(), claim.key(), e.getMessage());
    }
  }

  /** A WRITE grant came: what this site holds of the element follows it; the write begins. */
  private WriteLease granted(LeaseKey k, long id, AcquireReply reply) {
    WriteLease lease = Versions.grant(k.bucket(), k.key(), id, reply);
    // A READ this site asked for meanwhile may have been granted just before this WRITE (which
    // ended it at the coordinator): its answer must not be kept (found by the linearizability
    // check: after a write-back hand-over, such a lease served the version before the write).
    reads.forget(k);
    this.granted.increment();
    if (reply.getDirtyCommitted()) {
      // The leader committed the journal's entry with the grant: this site owns it from here,
      // and the write that asked is done but for its answer.
      ownership.put(k, lease);
    } else if (lease.dirty()) {
      // This site owns it dirty at the coordinator but does not hold it as owned (a commit of
      // it failed without a clear answer, or it registered again): the journal's latest
      // version, not the coordinator's, is the one to write over.
      lease = ownership.events().adopt(lease);
      ownership.put(k, lease);
    }
    writes.begin(k, lease, null);
    return lease;
  }

  /** See {@link Leases#commit}. */
  ReadLease commit(WriteLease lease, @Nullable ObjectInfo stored) {
    LeaseKey k = new LeaseKey(lease.bucket(), lease.key());
    boolean kept = false;
    ownership.remove(k); // a write-through commit ends the grant, and the origin holds the version
    if (lease.underPrefix()) {
      writes.ended(k, lease); // the origin holds it; under the prefix nobody else writes it
      return new ReadLease(lease.bucket(), lease.key(), lease.session(), 0, true, stored, 0);
    }
    try {
      long asked = reads.sequence();
      CommandResult reply =
          link.submit(commit(lease, Versions.proto(stored), false, 0), CALL_MILLIS * 2);
      if (reply.getOutcome() != Outcome.OK) {
        throw AcquireCall.refused("commit", lease, reply.getOutcome());
      }
      ReadLease read =
          new ReadLease(
              lease.bucket(),
              lease.key(),
              lease.session(),
              reply.getVersion().getVersion(),
              true,
              stored,
              reply.getReadGrant());
      reads.keep(k, read, asked);
      kept = true;
      return read;
    } catch (LeaseUnavailableException e) {
      sendAbort(lease, true);
      throw e;
    } finally {
      if (!kept) {
        reads.forget(k); // whatever this site held of the element went with the grant
      }
      writes.ended(k, lease);
    }
  }

  /** See {@link Leases#commitBehind}. */
  boolean commitBehind(
      WriteLease lease, @Nullable ObjectInfo stored, Consumer<ReadLease> committed, Executor work) {
    // The origin write has returned: if the session is still within its deadline now, the write
    // landed while the coordinator held this grant, so no other site could read the element
    // between the write and this point (docs/protocol.md, Writes, the commit behind the answer).
    if (lease.underPrefix() || lease.writeBack() || !session.valid(lease.session())) {
      return false;
    }
    LeaseKey k = new LeaseKey(lease.bucket(), lease.key());
    CompletableFuture<Void> done = new CompletableFuture<>();
    committing.put(k, done); // before the write is answered: a read that follows waits for it
    Runnable task =
        () -> {
          try {
            committed.accept(commit(lease, stored));
          } catch (StaleEpochException | LeaseUnavailableException e) {
            // The write is at the origin and was answered; the coordinator's version of the
            // element is unknown now (aborted as uncertain, or the grant ended with the session),
            // so the next reader asks the origin, which has it.
            LOG.warn(
                "the commit of {}/{} after its answer failed ({}); readers will ask the origin",
                lease.bucket(),
                lease.key(),
                e.getMessage());
          } finally {
            committing.remove(k, done);
            done.complete(null);
          }
        };
    try {
      work.execute(task);
    } catch (RejectedExecutionException e) {
      committing.remove(k, done);
      done.complete(null);
      return false; // closing: the caller commits before it answers
    }
    return true;
  }

  /**
   * Waits up to {@code wait} for the commit of a write of the element answered before its commit,
   * if one is on its way; whether none is left.
   */
  boolean awaitCommit(LeaseKey key, Duration wait) {
    CompletableFuture<Void> pending = committing.get(key);
    if (pending == null) {
      return true;
    }
    try {
      pending.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      return true; // completes normally; never reached
    }
  }

  /** Waits up to {@code wait} for every commit on its way after its answer (closing). */
  void awaitCommits(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    for (LeaseKey k : committing.keySet()) {
      awaitCommit(k, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }
  }

  /** See {@link Leases#commitDirty}. */
  WriteLease commitDirty(
      WriteLease lease,
      @Nullable ObjectInfo stored,
      long journalSeq,
      @Nullable ObjectInfo previous,
      boolean previousKnown) {
    LeaseKey k = new LeaseKey(lease.bucket(), lease.key());
    if (lease.underPrefix() || lease.dirty()) {
      // The coordinator knows the element is this site's (dirty here, or under its prefix): the
      // new version is this site's to answer for, with no round trip (docs/protocol.md,
      // Ownership) — while its session holds: past the deadline nothing is acknowledged (the
      // entry stays in the journal, a write of unknown outcome).
      if (!session.valid(lease.session())) {
        writes.ended(k, lease);
        throw LeaseUnavailableException.noSession();
      }
      WriteLease next = lease.dirtied(lease.version(), stored, journalSeq, previousKnown, previous);
      ownership.put(k, next);
      writes.ended(k, lease);
      return next;
    }
    try {
      CommandResult reply =
          link.submit(commit(lease, Versions.proto(stored), true, journalSeq), CALL_MILLIS * 2);
      if (reply.getOutcome() != Outcome.OK) {
        ownership.remove(k, lease);
        throw AcquireCall.refused("commit", lease, reply.getOutcome());
      }
      WriteLease next =
          lease.dirtied(
              reply.getVersion().getVersion(), stored, journalSeq, previousKnown, previous);
      ownership.put(k, next);
      return next;
    } catch (LeaseUnavailableException e) {
      ownership.remove(k); // in doubt: the next grant of the element says what the coordinator has
      throw e;
    } finally {
      writes.ended(k, lease);
    }
  }

  /** See {@link Leases#abort}. */
  void abort(WriteLease lease, boolean uncertain) {
    LeaseKey k = new LeaseKey(lease.bucket(), lease.key());
    if (lease.underPrefix()) {
      writes.ended(k, lease); // nothing to tell the coordinator: it knows the prefix, not the key
      return;
    }
    if (!uncertain && ownership.get(k) == lease) {
      writes.ended(k, lease);
      return;
    }
    ownership.remove(k);
    try {
      sendAbort(lease, uncertain);
    } finally {
      reads.forget(
          k); // the coordinator ends every lease of this site on the element with the grant
      writes.ended(k, lease);
    }
  }

  /** The commit of a version under {@code lease}: at the origin, or in the journal (dirty). */
  private static Command commit(WriteLease lease, VersionInfo version, boolean dirty, long seq) {
    return Command.newBuilder()
        .setCommit(
            CommitWrite.newBuilder()
                .setSession(lease.session())
                .setElement(Versions.element(lease.bucket(), lease.key()))
                .setEpoch(lease.epoch())
                .setVersion(version)
                .setDirty(dirty)
                .setJournalSeq(seq))
        .build();
  }

  private void sendAbort(WriteLease lease, boolean uncertain) {
    try {
      link.submit(
          Command.newBuilder()
              .setAbort(
                  AbortWrite.newBuilder()
                      .setSession(lease.session())
                      .setElement(Versions.element(lease.bucket(), lease.key()))
                      .setEpoch(lease.epoch())
                      .setUncertain(uncertain))
              .build(),
          CALL_MILLIS);
    } catch (LeaseUnavailableException e) {
      // The grant ends with the session anyway; until then the element waits, never wrongly.
      LOG.warn(
          "could not abort the write of {}/{}: {}", lease.bucket(), lease.key(), e.getMessage());
    }
  }
}
