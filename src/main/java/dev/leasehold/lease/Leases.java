package dev.leasehold.lease;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.protocol.AbortWrite;
import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.AcquireRequest;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.MarkClean;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.OwnedElement;
import dev.leasehold.protocol.OwnedPrefix;
import dev.leasehold.protocol.Recall;
import dev.leasehold.protocol.ReclaimDirty;
import dev.leasehold.protocol.ReleaseLeases;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.protocol.VersionInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site's leases: its session with the coordinator and every lease held under it.
 *
 * <p><b>Session.</b> Kept by {@link SiteSession}: registered at start (and again whenever the
 * coordinator says it is gone), renewed every {@code ttl/3}, with its local deadline; past it, no
 * lease is valid and every lease check fails ({@code NO_SESSION}), so the site answers 503.
 *
 * <p><b>Held leases.</b> READ leases live in a bounded map for an O(1) check on the hot path. The
 * least used are released, in batches, when the map is full or a lease sits idle. A lease is only
 * valid under the session that was granted it.
 *
 * <p><b>Recalls.</b> The coordinator pushes them down a stream the site keeps open to the leader. A
 * recalled lease is dropped from the map first, then released, so no read that starts after the
 * release can be served under it. A grant that raced a recall of the same element (the recall
 * arrived after the site asked) is used for the read that asked for it but is not kept.
 *
 * <p><b>Writes.</b> One write per element at a time at a site, each under its own grant: a grant
 * shared by two requests would let one's abort end the other's write. While an element is being
 * written here, reads use the version the coordinator names but keep no lease on it; the commit
 * leaves the site its READ lease, and any other end of the grant leaves it none (as at the
 * coordinator).
 *
 * <p>Thread-safe.
 */
public final class Leases implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Leases.class);
  private static final long CALL_MILLIS = CoordinatorLink.CALL_MILLIS;

  private record Key(String bucket, String key) {}

  private final CoordinatorLink link;
  private final LeaseSettings settings;
  private final SiteSession siteSession;
  private final Cache<Key, ReadLease> held;

  /**
   * Elements this site is writing now, one write at a time per element: each write has its own
   * grant and epoch, and its end (commit or abort) is the end of that grant alone.
   */
  private final ElementLocks<Key> writing = new ElementLocks<>();

  /** The grant of each element being written here; its end gives back the element's lock. */
  private final Map<Key, WriteLease> writers = new ConcurrentHashMap<>();

  /**
   * The elements this site owns (write-back): WRITE kept after a dirty commit, until a recall or a
   * flush with release ends it. Written under the element's lock in {@link #writing}; read without
   * it (a read at the owner serves the version named here).
   */
  private final Map<Key, WriteLease> owned = new ConcurrentHashMap<>();

  private volatile OwnerEvents ownerEvents = OwnerEvents.NONE;

  /** The prefix WRITE leases this site holds. */
  private final HeldPrefixes prefixes;

  /** The prefix lease each write in flight under one entered; its end exits it. */
  private final Map<Key, PrefixLease> prefixWrites = new ConcurrentHashMap<>();

  /**
   * When each element was last recalled, or its lease otherwise ended here (a local write began or
   * failed), as a sequence number: a grant asked for before that is not kept.
   */
  private final Cache<Key, Long> recalled =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(5)).build();

  private final AtomicLong recalls = new AtomicLong();

  /**
   * The recall sequence when the latest reclaim was asked: an element whose lease ended here after
   * that is not adopted from its answer. Written by {@link #registered} only.
   */
  private volatile long reclaimAsked;

  /** The session whose reclaim has been taken (its journal adopted). Written by registered. */
  private volatile long reclaimedSession;

  private final AtomicLong grants = new AtomicLong();
  private final LongAdder readGrants = new LongAdder();
  private final LongAdder writeGrants = new LongAdder();
  private final LongAdder recallsReceived = new LongAdder();
  private final LongAdder released = new LongAdder();
  private volatile Tracer tracer = OpenTelemetry.noop().getTracer("dev.leasehold.lease");
  private final ConcurrentLinkedQueue<Map.Entry<Long, Element>> toRelease =
      new ConcurrentLinkedQueue<>();
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("leases-" + "timer").factory());
  private final ExecutorService work = Executors.newVirtualThreadPerTaskExecutor();
  private final ListingOverlay listing;
  private final CoordinatorAdmin admin;

  private Leases(CoordinatorLink link, LeaseSettings settings, LongSupplier nanoTime) {
    this.link = link;
    this.settings = settings;
    this.siteSession =
        new SiteSession(link, settings, new SessionClock(nanoTime), timers, work, this::lost);
    this.held =
        Caffeine.newBuilder()
            .maximumSize(settings.maxHeld())
            .expireAfterAccess(settings.idle())
            .executor(Runnable::run)
            .removalListener(this::removed)
            .build();
    this.listing = new ListingOverlay(link, siteSession);
    this.prefixes = new HeldPrefixes(link, settings, siteSession);
    this.admin = new CoordinatorAdmin(link, siteSession);
  }

  /** Starts the session (in the background: until it is registered, no lease is valid). */
  public static Leases start(CoordinatorLink link, LeaseSettings settings, LongSupplier nanoTime) {
    Leases leases = new Leases(link, settings, nanoTime);
    leases.siteSession.start(leases::recalled, leases::registered);
    leases.timers.scheduleWithFixedDelay(leases::flushReleases, 200, 200, TimeUnit.MILLISECONDS);
    return leases;
  }

  // ---- the session

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
    held.asMap().values().removeIf(l -> l.session() == id);
    owned.values().removeIf(l -> l.session() == id); // dirty data stays in the journal
    prefixes.lost(id);
  }

  // ---- recalls

  /** A recall: drop the lease, then tell the coordinator it is gone. */
  private void recalled(long id, Recall recall) {
    if (recall.getMode() == Mode.WRITE) {
      // An owner of write-back data flushes, then hands over; a write-through writer's grant
      // ends with its write, so there is nothing to do.
      Element e = recall.getElement();
      PrefixLease p =
          recall.getPrefix().isEmpty()
              ? prefixFor(e.getBucket(), e.getKey())
              : prefixes.exactly(e.getBucket(), recall.getPrefix());
      if (p != null && p.session() == id) {
        recallsReceived.increment();
        background(() -> ownerEvents.prefixRecalled(p));
        return;
      }
      Key k = new Key(e.getBucket(), e.getKey());
      WriteLease mine = owned.get(k);
      if (mine != null && mine.session() == id) {
        recallsReceived.increment();
        background(() -> ownerEvents.recalled(e.getBucket(), e.getKey()));
      }
      return;
    }
    recallsReceived.increment();
    forget(new Key(recall.getElement().getBucket(), recall.getElement().getKey()));
    background(() -> release(id, List.of(recall.getElement())));
  }

  // ---- leases

  /**
   * The READ lease held on an element, if it is valid now: the O(1) check of the read path. No call
   * leaves the site.
   */
  public @Nullable ReadLease held(String bucket, String key) {
    ReadLease lease = held.getIfPresent(new Key(bucket, key));
    if (lease == null || !siteSession.valid(lease.session())) {
      return null;
    }
    return lease;
  }

  /** Acquires READ: one round trip to the coordinator, which says which version to serve. */
  public ReadLease acquireRead(String bucket, String key) {
    return acquireRead(bucket, key, false);
  }

  /**
   * Acquires READ; with {@code redirectable}, the coordinator may answer instead that another site
   * owns the element and the request is to be proxied there.
   *
   * @throws OwnerElsewhereException the redirect, with the owner's address
   */
  public ReadLease acquireRead(String bucket, String key, boolean redirectable) {
    long session = session();
    Key k = new Key(bucket, key);
    PrefixLease mine = prefixFor(bucket, key);
    if (mine != null) {
      // Nobody else writes under this site's prefix: the origin is the authority for a key this
      // site did not write (those it did are owned), with no round trip and nothing kept.
      return new ReadLease(bucket, key, mine.session(), 0, false, null, grants.incrementAndGet());
    }
    long asked = recalls.get();
    AcquireReply reply = acquire(session, bucket, key, Mode.READ, redirectable);
    readGrants.increment();
    VersionInfo v = reply.getVersion();
    ReadLease lease =
        new ReadLease(
            bucket,
            key,
            session,
            v.getVersion(),
            v.getKnown(),
            v.getKnown() ? Versions.info(key, v) : null,
            grants.incrementAndGet());
    if (reply.getMode() == Mode.READ) {
      keep(k, lease, asked);
    } else if (reply.getJournalSeq() != 0 && owned.get(k) == null) {
      // The coordinator says this site owns it dirty, and this site does not hold it as owned
      // (a commit failed without a clear answer, or it just registered again): its journal's
      // latest version may be newer than the one the coordinator names. Take it from there.
      return ownedFromJournal(k, session, reply);
    } // else this site is writing the element: the version is good for this read only
    return lease;
  }

  /** A read of an element this site owns dirty at the coordinator but has not adopted. */
  private ReadLease ownedFromJournal(Key k, long session, AcquireReply reply) {
    if (!writing.lock(k, settings.acquireWait())) {
      throw busy(k.bucket(), k.key());
    }
    try {
      WriteLease l = owned.get(k);
      if (l == null) {
        VersionInfo v = reply.getVersion();
        VersionInfo clean = reply.getClean();
        l =
            ownerEvents.adopt(
                new WriteLease(
                    k.bucket(),
                    k.key(),
                    session,
                    reply.getEpoch(),
                    v.getVersion(),
                    true,
                    Versions.info(k.key(), v),
                    true,
                    reply.getJournalSeq(),
                    clean.getKnown(),
                    clean.getKnown() ? Versions.info(k.key(), clean) : null));
        owned.put(k, l);
      }
      return new ReadLease(
          k.bucket(), k.key(), session, l.version(), true, l.info(), grants.incrementAndGet());
    } finally {
      writing.unlock(k);
    }
  }

  /**
   * The site learned the version a lease names (from the origin): keep that, if the lease is still
   * held. Returns the lease to use.
   */
  public ReadLease learned(ReadLease lease, @Nullable ObjectInfo info) {
    ReadLease knowing = lease.knowing(info);
    held.asMap().replace(new Key(lease.bucket(), lease.key()), lease, knowing);
    return knowing;
  }

  /**
   * Acquires WRITE: the coordinator recalls every other holder first. A site writes an element one
   * request at a time: a second write of it here waits for the first to commit or abort. Every
   * WRITE acquired must end in {@link #commit} or {@link #abort}.
   */
  public WriteLease acquireWrite(String bucket, String key) {
    return acquireWrite(bucket, key, false);
  }

  /**
   * Acquires WRITE; with {@code redirectable}, the coordinator may answer instead that another site
   * owns the element and the write is to be proxied there ({@link OwnerElsewhereException}).
   */
  public WriteLease acquireWrite(String bucket, String key, boolean redirectable) {
    long session = session();
    Key k = new Key(bucket, key);
    if (!writing.lock(k, settings.acquireWait())) {
      throw busy(bucket, key);
    }
    boolean granted = false;
    try {
      WriteLease mine = owned.get(k);
      PrefixLease prefix = prefixFor(bucket, key);
      if (mine != null && siteSession.valid(mine.session()) && !mine.underPrefix()) {
        writers.put(k, mine); // this site owns the element: no round trip
        granted = true;
        return mine;
      }
      if (prefix != null && prefix.enter()) {
        // Under this site's prefix lease: no round trip, whether the key is new or not.
        WriteLease under =
            mine != null && mine.underPrefix()
                ? mine
                : WriteLease.underPrefix(bucket, key, prefix.session(), prefix.epoch());
        prefixWrites.put(k, prefix);
        writers.put(k, under);
        granted = true;
        return under;
      }
      forget(k);
      AcquireReply reply = acquire(session, bucket, key, Mode.WRITE, redirectable);
      // A READ this site asked for meanwhile may have been granted just before this WRITE (which
      // ended it at the coordinator): its answer must not be kept (found by the linearizability
      // check: after a write-back hand-over, such a lease served the version before the write).
      forget(k);
      writeGrants.increment();
      VersionInfo v = reply.getVersion();
      VersionInfo clean = reply.getClean();
      WriteLease lease =
          new WriteLease(
              bucket,
              key,
              session,
              reply.getEpoch(),
              v.getVersion(),
              v.getKnown(),
              v.getKnown() ? Versions.info(key, v) : null,
              reply.getWriteBack(),
              reply.getJournalSeq(),
              clean.getKnown(),
              clean.getKnown() ? Versions.info(key, clean) : null);
      if (lease.dirty()) {
        // This site owns it dirty at the coordinator but does not hold it as owned (a commit of
        // it failed without a clear answer, or it registered again): the journal's latest
        // version, not the coordinator's, is the one to write over.
        lease = ownerEvents.adopt(lease);
        owned.put(k, lease);
      }
      writers.put(k, lease);
      granted = true;
      return lease;
    } finally {
      if (!granted) {
        writing.unlock(k);
      }
    }
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
    Key k = new Key(lease.bucket(), lease.key());
    boolean kept = false;
    owned.remove(k); // a write-through commit ends the grant, and the origin holds the version
    if (lease.underPrefix()) {
      ended(k, lease); // the origin holds it; under the prefix nobody else writes it
      return new ReadLease(
          lease.bucket(), lease.key(), lease.session(), 0, true, stored, grants.incrementAndGet());
    }
    try {
      ReadLease read = committed(lease, stored);
      kept = true;
      return read;
    } catch (LeaseUnavailableException e) {
      sendAbort(lease, true);
      throw e;
    } finally {
      if (!kept) {
        forget(k); // whatever this site held of the element went with the grant
      }
      ended(k, lease);
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

  private ReadLease committed(WriteLease lease, @Nullable ObjectInfo stored) {
    long asked = recalls.get();
    VersionInfo version = Versions.proto(stored);
    CommandResult reply = link.submit(commit(lease, version, false, 0), CALL_MILLIS * 2);
    if (reply.getOutcome() != Outcome.OK) {
      throw refused("commit", lease, reply.getOutcome());
    }
    ReadLease read =
        new ReadLease(
            lease.bucket(),
            lease.key(),
            lease.session(),
            reply.getVersion().getVersion(),
            true,
            stored,
            grants.incrementAndGet());
    keep(new Key(lease.bucket(), lease.key()), read, asked);
    return read;
  }

  /**
   * Gives up a WRITE grant without committing; {@code uncertain} if the origin may have changed. An
   * element this site owns stays owned (the coordinator keeps a dirty element's grant too).
   */
  public void abort(WriteLease lease, boolean uncertain) {
    Key k = new Key(lease.bucket(), lease.key());
    if (lease.underPrefix()) {
      ended(k, lease); // nothing to tell the coordinator: it knows the prefix, not the key
      return;
    }
    if (!uncertain && owned.get(k) == lease) {
      ended(k, lease);
      return;
    }
    owned.remove(k);
    try {
      sendAbort(lease, uncertain);
    } finally {
      forget(k); // the coordinator ends every lease of this site on the element with the grant
      ended(k, lease);
    }
  }

  // ---- write-back (docs/protocol.md, Writes and Ownership of unflushed data)

  /** Where recalls of owned elements and reclaims after a new registration go. */
  public void ownerEvents(OwnerEvents events) {
    this.ownerEvents = events;
    long session = siteSession.current();
    if (session != 0) {
      // A registration may have reclaimed before anyone listened: reclaim again (idempotent).
      background(() -> registered(session));
    }
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
    Key k = new Key(lease.bucket(), lease.key());
    if (lease.underPrefix() || lease.dirty()) {
      // The coordinator knows the element is this site's (dirty here, or under its prefix): the
      // new version is this site's to answer for, with no round trip (docs/protocol.md,
      // Ownership) — while its session holds: past the deadline nothing is acknowledged (the
      // entry stays in the journal, a write of unknown outcome).
      if (!siteSession.valid(lease.session())) {
        ended(k, lease);
        throw LeaseUnavailableException.noSession();
      }
      WriteLease next = lease.dirtied(lease.version(), stored, journalSeq, previousKnown, previous);
      owned.put(k, next);
      ended(k, lease);
      return next;
    }
    try {
      CommandResult reply =
          link.submit(commit(lease, Versions.proto(stored), true, journalSeq), CALL_MILLIS * 2);
      if (reply.getOutcome() != Outcome.OK) {
        owned.remove(k, lease);
        throw refused("commit", lease, reply.getOutcome());
      }
      WriteLease next =
          lease.dirtied(
              reply.getVersion().getVersion(), stored, journalSeq, previousKnown, previous);
      owned.put(k, next);
      return next;
    } catch (LeaseUnavailableException e) {
      owned.remove(k); // in doubt: the next grant of the element says what the coordinator has
      throw e;
    } finally {
      ended(k, lease);
    }
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
          ownerEvents.prefixGranted(lease);
          // The coordinator ended this site's READ leases under the prefix: drop them here too.
          recalls.incrementAndGet();
          held.asMap().keySet().removeIf(k -> lease.covers(k.bucket(), k.key()));
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
   * Whether this site's current session has taken back what it owned dirty (its reclaim answered
   * and its journal adopted): until then, what it owns is not yet all known here.
   */
  public boolean reclaimed() {
    long session = siteSession.current();
    return session != 0 && reclaimedSession == session;
  }

  /** The owned keys under a prefix (those written under a prefix lease, and others). */
  public List<WriteLease> ownedUnder(String bucket, String prefix) {
    List<WriteLease> out = new ArrayList<>();
    for (WriteLease l : owned.values()) {
      if (l.bucket().equals(bucket) && l.key().startsWith(prefix)) {
        out.add(l);
      }
    }
    return out;
  }

  /**
   * Gives the prefix lease back (closed, and everything under it flushed: the caller's duty).
   *
   * @throws StaleEpochException if it was no longer this site's
   */
  public void releasePrefix(PrefixLease lease) {
    prefixes.release(lease);
  }

  /**
   * After a restart: the journal's latest version of a key, adopted as owned under {@code base} (a
   * reclaimed element's lease, or a new one under a reclaimed prefix lease).
   */
  public void adopt(WriteLease base) {
    Key k = new Key(base.bucket(), base.key());
    if (!writing.lock(k, settings.acquireWait())) {
      LOG.warn("could not adopt {}/{}: a write of it did not end", base.bucket(), base.key());
      return; // its next read or write here takes it from the journal
    }
    try {
      WriteLease now = owned.get(k);
      if (now != null && now.session() == base.session()) {
        return; // a read or write adopted it first: what it holds since (writes, a flush) is newer
      }
      Long left = recalled.getIfPresent(k);
      if (now == null && left != null && left > reclaimAsked) {
        // It was handed over (or its lease otherwise ended here) after the reclaim was asked:
        // the reclaim's answer is out of date, and the element is no longer this site's.
        LOG.info("not adopting {}/{}: it left this site during the reclaim", k.bucket(), k.key());
        return;
      }
      owned.put(k, base);
    } finally {
      writing.unlock(k);
    }
  }

  /** The element this site owns, if its session is valid now: the read path serves its version. */
  public @Nullable WriteLease owned(String bucket, String key) {
    WriteLease l = owned.get(new Key(bucket, key));
    return l == null || !siteSession.valid(l.session()) ? null : l;
  }

  /** Every element this site owns now. */
  public List<WriteLease> ownedNow() {
    return List.copyOf(owned.values());
  }

  /**
   * Takes the element's write lock for a flush, if this site owns it: no write of it here starts
   * until {@link #unlockOwned}. Null (and no lock held) if it is not owned under a valid session.
   *
   * @throws LeaseUnavailableException (BUSY) if a write of it did not end within {@code wait}
   */
  public @Nullable WriteLease lockOwned(String bucket, String key, Duration wait) {
    Key k = new Key(bucket, key);
    if (!writing.lock(k, wait)) {
      throw busy(bucket, key);
    }
    WriteLease l = owned.get(k);
    if (l == null || !siteSession.valid(l.session())) {
      writing.unlock(k);
      return null;
    }
    return l;
  }

  public void unlockOwned(WriteLease lease) {
    writing.unlock(new Key(lease.bucket(), lease.key()));
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
    Key k = new Key(lease.bucket(), lease.key());
    if (lease.underPrefix()) {
      if (release) {
        owned.remove(k);
        return null;
      }
      WriteLease next = lease.flushed(atOrigin, true);
      owned.put(k, next);
      return next;
    }
    VersionInfo v = Versions.proto(atOrigin).toBuilder().setVersion(lease.version()).build();
    CommandResult reply =
        link.submit(
            Command.newBuilder()
                .setMarkClean(
                    MarkClean.newBuilder()
                        .setSession(lease.session())
                        .setElement(Versions.element(lease.bucket(), lease.key()))
                        .setEpoch(lease.epoch())
                        .setVersion(v)
                        .setRelease(release))
                .build(),
            CALL_MILLIS * 2);
    if (reply.getOutcome() != Outcome.OK) {
      owned.remove(k, lease); // (a newer grant's lease, adopted meanwhile, stays)
      throw refused("flush", lease, reply.getOutcome());
    }
    if (release && reply.getClean()) {
      owned.remove(k);
      forget(k); // this site holds nothing of the element now
      return null;
    }
    WriteLease next = lease.flushed(atOrigin, reply.getClean());
    owned.put(k, next);
    return next;
  }

  /** A new session: take back what is dirty at this site, then tell the flusher. */
  private synchronized void registered(long session) {
    if (ownerEvents == OwnerEvents.NONE) {
      return; // nobody to adopt the journal yet: ownerEvents() reclaims when it is set
    }
    for (int attempt = 0;
        siteSession.current() == session && siteSession.valid(session);
        attempt++) {
      try {
        reclaimAsked = recalls.get();
        CommandResult reply =
            link.submit(
                Command.newBuilder()
                    .setReclaim(ReclaimDirty.newBuilder().setSession(session))
                    .build(),
                CALL_MILLIS);
        if (reply.getOutcome() != Outcome.OK) {
          return; // the session is gone already; the next registration reclaims
        }
        List<WriteLease> mine = new ArrayList<>();
        for (OwnedElement o : reply.getOwnedList()) {
          String bucket = o.getElement().getBucket();
          String key = o.getElement().getKey();
          VersionInfo v = o.getVersion();
          VersionInfo clean = o.getClean();
          WriteLease l =
              new WriteLease(
                  bucket,
                  key,
                  session,
                  o.getEpoch(),
                  v.getVersion(),
                  true,
                  Versions.info(key, v),
                  true,
                  o.getJournalSeq(),
                  clean.getKnown(),
                  clean.getKnown() ? Versions.info(key, clean) : null);
          mine.add(l); // owned once the flusher has adopted the journal's latest version
        }
        List<PrefixLease> taken = new ArrayList<>();
        for (OwnedPrefix o : reply.getOwnedPrefixesList()) {
          taken.add(new PrefixLease(o.getBucket(), o.getPrefix(), session, o.getEpoch()));
        }
        if (!mine.isEmpty() || !taken.isEmpty()) {
          LOG.info(
              "site reclaimed {} dirty elements and {} prefix leases under session {}",
              mine.size(),
              taken.size(),
              session);
        }
        // What the journal holds under them is adopted first; only then are they used.
        ownerEvents.reclaimed(mine, taken);
        for (PrefixLease p : taken) {
          prefixes.add(p);
        }
        reclaimedSession = session;
        return;
      } catch (LeaseUnavailableException e) {
        LOG.debug("reclaiming dirty elements: {}", e.getMessage());
        try {
          Thread.sleep(Math.min(2000, 100L << Math.min(attempt, 5)));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** This site's name. */
  public String site() {
    return settings.site();
  }

  /** The secret other sites present at this site's peer endpoint, and it at theirs. */
  public String peerSecret() {
    return siteSession.peerSecret();
  }

  /** The LIST overlay: which owners a LIST asks (docs/protocol.md, Listing). */
  public ListingOverlay listing() {
    return listing;
  }

  /** The operators' calls: bucket modes and bindings, declaring a site lost. */
  public CoordinatorAdmin admin() {
    return admin;
  }

  /** The coordinator refused a commit or flush under {@code lease}: it is no longer this site's. */
  private static StaleEpochException refused(String what, WriteLease lease, Outcome outcome) {
    return new StaleEpochException(
        "the " + what + " of " + lease.bucket() + "/" + lease.key() + " was refused: " + outcome);
  }

  /** A grant ended: the next write of the element here may go (once per grant). */
  private void ended(Key k, WriteLease lease) {
    PrefixLease entered = prefixWrites.remove(k);
    if (entered != null) {
      entered.exit();
    }
    if (writers.remove(k, lease)) {
      writing.unlock(k);
    }
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

  private AcquireReply acquire(
      long session, String bucket, String key, Mode mode, boolean redirectable) {
    Span span =
        tracer
            .spanBuilder("lease acquire " + (mode == Mode.WRITE ? "write" : "read"))
            .setSpanKind(SpanKind.CLIENT)
            .startSpan();
    try (Scope scope = span.makeCurrent()) {
      AcquireReply reply = acquireAtCoordinator(session, bucket, key, mode, redirectable);
      span.setAttribute("leasehold.lease.version", reply.getVersion().getVersion());
      return reply;
    } catch (LeaseUnavailableException e) {
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      span.end();
    }
  }

  private AcquireReply acquireAtCoordinator(
      long session, String bucket, String key, Mode mode, boolean redirectable) {
    long wait = settings.acquireWait().toMillis();
    SiteReply answer =
        link.call(
            SiteRequest.newBuilder()
                .setAcquire(
                    AcquireRequest.newBuilder()
                        .setSession(session)
                        .setElement(Versions.element(bucket, key))
                        .setMode(mode)
                        .setRedirectable(redirectable)
                        .setWaitMillis(wait))
                .build(),
            wait + CALL_MILLIS,
            wait + CALL_MILLIS * 2);
    AcquireReply reply = answer.getAcquire();
    Outcome outcome = answer.getOutcome();
    if (outcome == Outcome.OK) {
      return reply;
    }
    if (outcome == Outcome.NO_SESSION) {
      siteSession.gone(session);
      throw LeaseUnavailableException.noSession();
    }
    if (outcome == Outcome.BUSY) {
      throw busy(bucket, key);
    }
    if (outcome == Outcome.PREFIX_HELD) {
      throw new LeaseUnavailableException(
          LeaseUnavailableException.Reason.BUSY,
          bucket
              + "/"
              + key
              + " is under a prefix lease this site is taking back after a restart.");
    }
    if (outcome == Outcome.REDIRECT) {
      throw new OwnerElsewhereException(reply.getOwner(), reply.getOwnerAddress());
    }
    if (outcome == Outcome.OWNER_DOWN) {
      throw new LeaseUnavailableException(
          LeaseUnavailableException.Reason.OWNER_DOWN,
          bucket
              + "/"
              + key
              + " has unflushed writes at site "
              + reply.getOwner()
              + ", which is down; it is unavailable until that site returns.");
    }
    throw new LeaseUnavailableException(
        LeaseUnavailableException.Reason.UNREACHABLE,
        "The coordinator is not granting leases yet (" + outcome + ").");
  }

  private static LeaseUnavailableException busy(String bucket, String key) {
    return new LeaseUnavailableException(
        LeaseUnavailableException.Reason.BUSY,
        "A write of " + bucket + "/" + key + " did not finish in time.");
  }

  /** Drops the lease held on an element; a grant asked for before now will not be kept. */
  private void forget(Key key) {
    recalled.put(key, recalls.incrementAndGet());
    held.asMap().remove(key);
  }

  /** Keeps a lease, unless the element was recalled since the site asked for it. */
  private void keep(Key key, ReadLease lease, long asked) {
    if (prefixFor(key.bucket(), key.key()) != null) {
      return; // under this site's prefix lease it holds no READ lease of its own
    }
    Long last = recalled.getIfPresent(key);
    if (last != null && last > asked) {
      return;
    }
    held.put(key, lease);
    last = recalled.getIfPresent(key);
    if (last != null && last > asked) {
      held.asMap().remove(key, lease); // a recall slipped in while the lease was being kept
    }
  }

  private long session() {
    return siteSession.require();
  }

  // ---- releases

  /** Caffeine removal listener: leases that fell out of the map for room or idleness. */
  private void removed(@Nullable Key key, @Nullable ReadLease lease, RemovalCause cause) {
    if (key != null && lease != null && cause.wasEvicted()) {
      toRelease.add(Map.entry(lease.session(), Versions.element(key.bucket(), key.key())));
    }
  }

  private void flushReleases() {
    long session = siteSession.current();
    List<Element> batch = new ArrayList<>();
    Map.Entry<Long, Element> next;
    while ((next = toRelease.poll()) != null && batch.size() < 1000) {
      if (next.getKey() == session) {
        batch.add(next.getValue());
      }
    }
    if (!batch.isEmpty()) {
      background(() -> release(session, batch));
    }
  }

  private void release(long session, List<Element> elements) {
    released.add(elements.size());
    try {
      link.submit(
          Command.newBuilder()
              .setRelease(ReleaseLeases.newBuilder().setSession(session).addAllElements(elements))
              .build(),
          CALL_MILLIS);
    } catch (LeaseUnavailableException e) {
      // The coordinator waits out what it cannot be told: the session's expiry releases all.
      LOG.debug("releasing {} leases of session {}: {}", elements.size(), session, e.getMessage());
    }
  }

  /** Registers the site's lease and session meters (see {@link LeaseMetrics}). */
  public void bindMetrics(MeterRegistry registry) {
    LeaseMetrics.bind(registry, this);
  }

  long readGrants() {
    return readGrants.sum();
  }

  long writeGrants() {
    return writeGrants.sum();
  }

  long recallsReceived() {
    return recallsReceived.sum();
  }

  long released() {
    return released.sum();
  }

  /** Traces each lease acquisition (a span, whose context the coordinator call carries). */
  public void bindTracing(OpenTelemetry telemetry) {
    tracer = telemetry.getTracer("dev.leasehold.lease");
  }

  /** Number of READ leases held now. */
  public long heldCount() {
    return held.estimatedSize();
  }

  /** Stops renewing; the session lapses at its deadline (the coordinator expires it later). */
  @Override
  public void close() {
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
