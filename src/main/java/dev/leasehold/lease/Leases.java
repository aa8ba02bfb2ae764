package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Recall;
import dev.leasehold.protocol.VersionInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A site's leases: the front the rest of the site calls, over one part per idea of the protocol
 * (docs/protocol.md):
 *
 * <ul>
 *   <li>{@link SiteSession}: the session, registered, renewed, and its local deadline;
 *   <li>{@link ReadLeases}: the READ leases held, and the recall sequence;
 *   <li>{@link WriteGrants} and {@link WritesInFlight}: WRITE grants, one write per element;
 *   <li>{@link Ownership}: what this site owns dirty (write-back), flushes and reclaim;
 *   <li>{@link HeldPrefixes}: prefix leases;
 *   <li>{@link ListingOverlay} and {@link CoordinatorAdmin}: the LIST overlay, operators' calls.
 * </ul>
 *
 * <p>This class routes what crosses parts: a recall (to the read leases, or to the owner), a read
 * (held lease, prefix, or a grant that may name this site's journal), a lost session.
 *
 * <p>Thread-safe: each part carries its own rule; this class holds no mutable state of its own but
 * the meters' counter, and runs calls to the coordinator that nobody waits for on virtual threads.
 */
public final class Leases implements AutoCloseable {
  private final LeaseSettings settings;
  private final SiteSession siteSession;
  private final AcquireCall acquire;
  private final HeldPrefixes prefixes;
  private final ReadLeases reads;
  private final WritesInFlight writes = new WritesInFlight();
  private final Ownership ownership;
  private final WriteGrants writeGrants;
  private final ListingOverlay listing;
  private final CoordinatorAdmin admin;
  private final BucketSettings bucketSettings;
  private final LongAdder recallsReceived = new LongAdder();
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("leases-timer").factory());
  private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();

  private Leases(
      CoordinatorLink link,
      CoordinatorLink operatorLink,
      LeaseSettings settings,
      LongSupplier nanoTime) {
    this.settings = settings;
    this.siteSession =
        new SiteSession(link, settings, new SessionClock(nanoTime), timers, work, this::lost);
    this.acquire = new AcquireCall(link, settings, siteSession);
    this.prefixes = new HeldPrefixes(link, settings, siteSession);
    this.reads = new ReadLeases(link, settings, siteSession, prefixes);
    this.ownership = new Ownership(link, settings, siteSession, reads, writes, prefixes);
    this.writeGrants =
        new WriteGrants(link, settings, siteSession, acquire, reads, writes, ownership, prefixes);
    this.listing = new ListingOverlay(link, siteSession);
    this.bucketSettings = new BucketSettings(link, siteSession);
    this.admin = new CoordinatorAdmin(link, operatorLink, siteSession, bucketSettings);
  }

  /** Starts the session (in the background: until it is registered, no lease is valid). */
  public static Leases start(CoordinatorLink link, LeaseSettings settings, LongSupplier nanoTime) {
    return start(link, link, settings, nanoTime);
  }

  /**
   * {@link #start(CoordinatorLink, LeaseSettings, LongSupplier)}, with the operators' commands
   * (declaring a site lost, write modes) sent over {@code operatorLink}: with mutual TLS the
   * coordinator takes them only from an operator's certificate (docs/security.md).
   */
  public static Leases start(
      CoordinatorLink link,
      CoordinatorLink operatorLink,
      LeaseSettings settings,
      LongSupplier nanoTime) {
    Leases leases = new Leases(link, operatorLink, settings, nanoTime);
    leases.siteSession.start(leases::recalled, leases.ownership::registered);
    leases.timers.scheduleWithFixedDelay(
        () -> leases.reads.releaseEvicted(leases::background), 200, 200, TimeUnit.MILLISECONDS);
    return leases;
  }

  // ---- the session (SiteSession)

  /** Whether the site has a session and is within its deadline now. */
  public boolean valid() {
    return siteSession.valid();
  }

  /** Nanoseconds until the local deadline (negative once past). */
  public long remainingNanos() {
    return siteSession.remainingNanos();
  }

  /** Waits until the site has a valid session, up to {@code timeout}; whether it has one. */
  public boolean awaitSession(Duration timeout) {
    return siteSession.await(timeout);
  }

  /** See {@link SiteSession#coordinatorStarting}. */
  public boolean coordinatorStarting() {
    return siteSession.coordinatorStarting();
  }

  /** See {@link SiteSession#coordinatorReachable}. */
  public boolean coordinatorReachable() {
    return siteSession.coordinatorReachable();
  }

  /** The session is gone: every lease under it is void (none is released: nothing holds them). */
  private void lost(long id) {
    reads.lost(id);
    ownership.lost(id);
    prefixes.lost(id);
  }

  /**
   * A recall. Of READ: the lease is dropped, then the coordinator told it is gone. Of WRITE: an
   * owner of write-back data flushes, then hands over; a write-through writer's grant ends with its
   * write, so there is nothing to do.
   */
  private void recalled(long id, Recall recall) {
    Element e = recall.getElement();
    if (recall.getMode() != Mode.WRITE) {
      recallsReceived.increment();
      reads.forget(new LeaseKey(e.getBucket(), e.getKey()));
      // The release names the grant recalled: should it reach the coordinator late, after a newer
      // grant of the element to this site, it leaves that one alone.
      background(() -> reads.release(id, List.of(e), List.of(recall.getGrant())));
      return;
    }
    PrefixLease p =
        recall.getPrefix().isEmpty()
            ? prefixes.covering(e.getBucket(), e.getKey())
            : prefixes.exactly(e.getBucket(), recall.getPrefix());
    if (p != null && p.session() == id) {
      recallsReceived.increment();
      background(() -> ownership.events().prefixRecalled(p));
      return;
    }
    WriteLease mine = ownership.get(new LeaseKey(e.getBucket(), e.getKey()));
    if (mine != null && mine.session() == id) {
      recallsReceived.increment();
      background(() -> ownership.events().recalled(e.getBucket(), e.getKey()));
    }
  }

  // ---- reads (docs/protocol.md, Leases)

  /**
   * The READ lease held on an element, if it is valid now: the O(1) check of the read path. No call
   * leaves the site.
   */
  public @Nullable ReadLease held(String bucket, String key) {
    return reads.held(bucket, key);
  }

  /** Acquires READ: one round trip to the coordinator, which says which version to serve. */
  public ReadLease acquireRead(String bucket, String key) {
    return acquireRead(bucket, key, false);
  }

  /**
   * Acquires READ; with {@code redirectable}, the coordinator may answer instead that another site
   * owns the element and the request is to be proxied there. A grant that raced a recall of the
   * same element (the recall arrived after the site asked) is used for the read that asked for it
   * but is not kept; so is one of an element this site is writing.
   *
   * @throws OwnerElsewhereException the redirect, with the owner's address
   */
  public ReadLease acquireRead(String bucket, String key, boolean redirectable) {
    long session = siteSession.require();
    LeaseKey k = new LeaseKey(bucket, key);
    PrefixLease mine = prefixes.covering(bucket, key);
    if (mine != null) {
      // Nobody else writes under this site's prefix: the origin is the authority for a key this
      // site did not write (those it did are owned), with no round trip and nothing kept.
      return new ReadLease(bucket, key, mine.session(), 0, false, null, 0);
    }
    if (!writeGrants.awaitCommit(k, settings.acquireWait())) {
      throw AcquireCall.busy(bucket, key);
    }
    ReadLease committed = reads.held(bucket, key);
    if (committed != null) {
      return committed; // the commit of this site's own write left it one
    }
    long asked = reads.sequence();
    AcquireReply reply = acquire.acquire(session, bucket, key, Mode.READ, redirectable);
    reads.countGrant();
    if (reply.getMode() != Mode.READ && reply.getJournalSeq() != 0 && ownership.get(k) == null) {
      // The coordinator says this site owns it dirty and this site does not hold it as owned.
      return ownership.fromJournal(k, session, reply);
    }
    VersionInfo v = reply.getVersion();
    ReadLease lease =
        new ReadLease(
            bucket,
            key,
            session,
            v.getVersion(),
            v.getKnown(),
            v.getKnown() ? Versions.info(key, v) : null,
            reply.getReadGrant(),
            reply.getChangedAt());
    if (reply.getMode() == Mode.READ) {
      reads.keep(k, lease, asked);
    } // else this site is writing or owns the element: the version is good for this read only
    return lease;
  }

  /**
   * Whether a write of the element is in flight at this site, its commit included: a read of it
   * here waits for that write's commit, or is answered with the version before it.
   */
  public boolean writing(String bucket, String key) {
    return writes.writing(new LeaseKey(bucket, key));
  }

  /**
   * Asks for READ again in place of {@code lease}, whose known version the origin contradicts: the
   * change may be a write waiting for its grant, which this waits for (docs/protocol.md, Reads: a
   * held version the origin contradicts).
   */
  public ReadLease askAgain(ReadLease lease, boolean redirectable) {
    reads.forget(new LeaseKey(lease.bucket(), lease.key()));
    if (lease.grant() != 0) {
      // Given back, so that a write waiting for it need not recall it; named, so that it ends
      // only that grant should the new one come first.
      Element e = Versions.element(lease.bucket(), lease.key());
      background(() -> reads.release(lease.session(), List.of(e), List.of(lease.grant())));
    }
    return acquireRead(lease.bucket(), lease.key(), redirectable);
  }

  /**
   * The site learned the version a lease names (from the origin): keep that, if the lease is still
   * held. Returns the lease to use.
   */
  public ReadLease learned(ReadLease lease, @Nullable ObjectInfo info) {
    return reads.learned(lease, info);
  }

  // ---- writes (docs/protocol.md, Writes)

  /**
   * Acquires WRITE: the coordinator recalls every other holder first. A site writes an element one
   * request at a time: a second write of it here waits for the first to commit or abort. Every
   * WRITE acquired must end in {@link #commit}, {@link #commitDirty} or {@link #abort}.
   */
  public WriteLease acquireWrite(String bucket, String key) {
    return acquireWrite(bucket, key, false);
  }

  /**
   * Acquires WRITE; with {@code redirectable}, the coordinator may answer instead that another site
   * owns the element and the write is to be proxied there ({@link OwnerElsewhereException}).
   */
  public WriteLease acquireWrite(String bucket, String key, boolean redirectable) {
    return writeGrants.acquire(bucket, key, redirectable);
  }

  /**
   * Claims WRITE so that a write-through write may change the origin while readers elsewhere are
   * recalled (docs/protocol.md, Writes: the origin write beside the recall): the grant, or a
   * pending claim naming the version to fence the origin write on. A pending claim's {@link
   * #awaitGrant} must follow, whatever happens to the write, and {@link #withdraw} if it fails.
   */
  public WriteClaim claimWrite(String bucket, String key) {
    return writeGrants.claimEarly(bucket, key);
  }

  /**
   * The grant of a claim: at once if it was granted, else asked for again, waiting at the
   * coordinator until the readers are gone. A grant ends as any other (commit or abort).
   *
   * @throws LeaseUnavailableException if it was not granted: the claim stands (the coordinator does
   *     not withdraw a claim whose site may be writing the origin), and {@link #withdraw} must end
   *     it once the write under it has ended
   */
  public WriteLease awaitGrant(WriteClaim claim) {
    return writeGrants.awaitGrant(claim);
  }

  /**
   * Withdraws a pending claim that was not granted, once nothing is being written under it (best
   * effort, in the background: otherwise it ends with the session), and then gives the element's
   * lock back. The coordinator then holds the element's version unknown, and in doubt behind its
   * readers (docs/protocol.md, Writes: Doubt).
   */
  public void withdraw(WriteClaim claim) {
    writeGrants.withdraw(claim);
  }

  /** A write in this site's journal: its version (null for a delete) and its entry. */
  public record Journaled(@Nullable ObjectInfo written, long journalSeq) {}

  /**
   * Acquires WRITE for a write that {@code journal} puts in this site's journal (fsynced) once the
   * element's lock is held here, so that no flush of the element runs between the entry and its
   * commit, and entries of one element are committed in their journal's order: in a write-back
   * bucket the leader commits it dirty with the grant, one round trip for both (docs/protocol.md,
   * Writes). The lease returned is then dirty at that entry ({@link WriteLease#journalSeq}), and
   * {@link #commitDirty} of it makes no call; otherwise it is the grant alone, to commit or write
   * through as any other. What {@code journal} throws ends the acquire, the lock given back.
   */
  public WriteLease acquireWriteDirty(String bucket, String key, Supplier<Journaled> journal) {
    return writeGrants.acquire(bucket, key, false, journal);
  }

  /**
   * Commits the version a write left at the origin ({@code stored}, or null after a delete), which
   * ends the WRITE grant and leaves the site a READ lease on the new version. The grant ends here
   * whatever the outcome: if the coordinator cannot be reached, the grant is aborted as uncertain
   * (best effort; otherwise it ends with the session).
   *
   * @throws StaleEpochException if the grant was no longer this site's
   * @throws LeaseUnavailableException if the coordinator did not answer
   */
  public ReadLease commit(WriteLease lease, @Nullable ObjectInfo stored) {
    return writeGrants.commit(lease, stored);
  }

  /**
   * {@link #commit} after the write is answered, if that keeps the guarantee: the write is not
   * write-back or under a prefix lease, and the session is within its deadline now, after the
   * origin write returned (docs/protocol.md, Writes). Then the commit runs on a virtual thread and
   * hands its READ lease to {@code committed}; a read of the element here waits for it. Returns
   * false, having done nothing, if the caller must {@link #commit} before it answers.
   */
  public boolean commitBehind(
      WriteLease lease, @Nullable ObjectInfo stored, Consumer<ReadLease> committed) {
    return writeGrants.commitBehind(lease, stored, committed, work);
  }

  /**
   * Commits a version written to this site's journal (entry {@code journalSeq}): the site keeps the
   * grant and owns the element. {@code previous} is the version before the write, the last clean
   * one if the element was clean. Ends this write (not the grant) whatever the outcome.
   *
   * @throws StaleEpochException if the grant was no longer this site's
   * @throws LeaseUnavailableException if the coordinator did not answer (the commit may have been
   *     applied: the site learns which at its next grant of the element)
   */
  public WriteLease commitDirty(
      WriteLease lease,
      @Nullable ObjectInfo stored,
      long journalSeq,
      @Nullable ObjectInfo previous,
      boolean previousKnown) {
    return writeGrants.commitDirty(lease, stored, journalSeq, previous, previousKnown);
  }

  /**
   * Gives up a WRITE grant without committing; {@code uncertain} if the origin may have changed. An
   * element this site owns stays owned (the coordinator keeps a dirty element's grant too).
   */
  public void abort(WriteLease lease, boolean uncertain) {
    writeGrants.abort(lease, uncertain);
  }

  // ---- write-back (docs/protocol.md, Ownership of unflushed data)

  /** Where recalls of owned elements and reclaims after a new registration go. */
  public void ownerEvents(OwnerEvents events) {
    ownership.events(events);
    long session = siteSession.current();
    if (session != 0) {
      // A registration may have reclaimed before anyone listened: reclaim again (idempotent).
      background(() -> ownership.registered(session));
    }
  }

  /**
   * Whether this site's current session has taken back what it owned dirty (its reclaim answered
   * and its journal adopted): until then, what it owns is not yet all known here.
   */
  public boolean reclaimed() {
    return ownership.reclaimed();
  }

  /**
   * After a restart: the journal's latest version of a key, adopted as owned under {@code base} (a
   * reclaimed element's lease, or a new one under a reclaimed prefix lease).
   */
  public void adopt(WriteLease base) {
    ownership.adopt(base);
  }

  /** The element this site owns, if its session is valid now: the read path serves its version. */
  public @Nullable WriteLease owned(String bucket, String key) {
    return ownership.valid(bucket, key);
  }

  /** Every element this site owns now. */
  public List<WriteLease> ownedNow() {
    return ownership.all();
  }

  /** The owned keys under a prefix (those written under a prefix lease, and others). */
  public List<WriteLease> ownedUnder(String bucket, String prefix) {
    return ownership.under(bucket, prefix);
  }

  /**
   * Takes the element's write lock for a flush, if this site owns it: no write of it here starts
   * until {@link #unlockOwned}. Null (and no lock held) if it is not owned under a valid session.
   *
   * @throws LeaseUnavailableException (BUSY) if a write of it did not end within {@code wait}
   */
  public @Nullable WriteLease lockOwned(String bucket, String key, Duration wait) {
    return ownership.lock(bucket, key, wait);
  }

  public void unlockOwned(WriteLease lease) {
    ownership.unlock(lease);
  }

  /**
   * Records at the coordinator that the owned version {@code lease} names is at the origin as
   * {@code atOrigin} (null: deleted there); with {@code release}, gives up the grant too (a
   * recall's hand-over). Called under {@link #lockOwned}. Returns the lease to keep, or null.
   *
   * @throws StaleEpochException if the grant was no longer this site's
   */
  public @Nullable WriteLease flushed(
      WriteLease lease, @Nullable ObjectInfo atOrigin, boolean release) {
    return ownership.flushed(lease, atOrigin, release);
  }

  // ---- prefix leases (docs/protocol.md, Prefix leases)

  /**
   * Takes WRITE on every key under {@code bucket/prefix}: the coordinator recalls every lease under
   * it first. Then writes of keys under it (new or not) need no round trip.
   *
   * @throws IllegalArgumentException if the bucket is not write-back
   * @throws LeaseUnavailableException if it could not be granted in time
   */
  public PrefixLease acquirePrefix(String bucket, String prefix) {
    return prefixes.acquire(
        bucket,
        prefix,
        lease -> {
          // What the journal holds under it for keys this site does not own is left from writes
          // that never took effect: it must not be taken for this lease's writes after a restart.
          ownership.events().prefixGranted(lease);
          // The coordinator ended this site's READ leases under the prefix: drop them here too.
          reads.dropUnder(lease);
        });
  }

  /** The open prefix lease this site holds over {@code bucket/key}, under a valid session. */
  public @Nullable PrefixLease prefixFor(String bucket, String key) {
    return prefixes.covering(bucket, key);
  }

  /** The prefix lease on exactly {@code bucket/prefix}, if this site holds it. */
  public @Nullable PrefixLease prefix(String bucket, String prefix) {
    return prefixes.exactly(bucket, prefix);
  }

  /** Every prefix lease this site holds. */
  public List<PrefixLease> prefixesNow() {
    return prefixes.all();
  }

  /** Stops new writes from using the lease, and waits for those in flight to end. */
  public void closePrefix(PrefixLease lease) throws InterruptedException {
    lease.close();
  }

  /**
   * Gives the prefix lease back (closed, and everything under it flushed: the caller's duty).
   *
   * @throws StaleEpochException if it was no longer this site's
   */
  public void releasePrefix(PrefixLease lease) {
    prefixes.release(lease);
  }

  // ---- the rest

  /** This site's name. */
  public String site() {
    return settings.site();
  }

  /** The secret other sites present at this site's peer port, and it at theirs. */
  public String peerSecret() {
    return siteSession.peerSecret();
  }

  /** The LIST overlay: which owners a LIST asks (docs/protocol.md, Listing). */
  public ListingOverlay listing() {
    return listing;
  }

  /** The buckets' settings that are not data, such as CORS rules (docs/protocol.md). */
  public BucketSettings settings() {
    return bucketSettings;
  }

  /** The operators' calls: bucket modes and bindings, declaring a site lost. */
  public CoordinatorAdmin admin() {
    return admin;
  }

  /** Registers the site's lease and session meters (see {@link LeaseMetrics}). */
  public void bindMetrics(MeterRegistry registry) {
    LeaseMetrics.bind(registry, this);
  }

  long readGrants() {
    return reads.granted();
  }

  long writeGrants() {
    return writeGrants.granted();
  }

  /**
   * The writes here that wrote the origin while readers elsewhere were being recalled
   * (leasehold_lease_writes_overlapped_total).
   */
  public long writesOverlapped() {
    return writeGrants.overlapped();
  }

  /**
   * The latest place in the coordinator's log an answer to {@code session} named: changes of the
   * table up to {@code point} were applied before it was heard.
   */
  public record Heard(long session, long point) {}

  /**
   * The latest place in the coordinator's log the current session heard of (docs/protocol.md,
   * Reads: a version the table does not know).
   */
  public Heard heard() {
    return siteSession.heard();
  }

  /** The recalls this site received (leasehold_lease_recalls_total). */
  public long recallsReceived() {
    return recallsReceived.sum();
  }

  long released() {
    return reads.released();
  }

  /** Traces each lease acquisition (a span, whose context the coordinator call carries). */
  public void bindTracing(OpenTelemetry telemetry) {
    acquire.tracing(telemetry);
  }

  /** Number of READ leases held now. */
  public long heldCount() {
    return reads.count();
  }

  /**
   * Ends the session at the coordinator (a graceful stop, once the site serves nothing more): its
   * READ leases, prefix leases and grants go at once. Whether the coordinator ended it.
   */
  public boolean endSession() {
    writeGrants.awaitCommits(Duration.ofSeconds(2));
    return siteSession.end();
  }

  /** Stops renewing; the session lapses at its deadline (the coordinator expires it later). */
  @Override
  public void close() {
    writeGrants.awaitCommits(Duration.ofSeconds(2)); // else the versions are unknown: still right
    siteSession.close();
    timers.shutdownNow();
    work.shutdownNow();
  }

  /** Runs {@code task} on a virtual thread, unless the site is closing. */
  private void background(Runnable task) {
    try {
      work.execute(task);
    } catch (RejectedExecutionException e) {
      // closed: nothing more to do
    }
  }
}
