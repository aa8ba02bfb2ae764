package dev.leasehold.flush;

import dev.leasehold.error.S3Exception;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.OwnerEvents;
import dev.leasehold.lease.PrefixLease;
import dev.leasehold.lease.StaleEpochException;
import dev.leasehold.lease.WriteLease;
import dev.leasehold.object.ObjectInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-back flusher of a site (docs/protocol.md, Writes: write-back): puts the versions this
 * site owns at the origin, and commits each flush at the coordinator ("version v clean, ETag x"),
 * then frees its journal entries.
 *
 * <ul>
 *   <li><b>In the background</b>, {@code delay} after a dirty write (later writes of the key within
 *       it are flushed once), at most {@code concurrency} uploads at a time; an upload that fails
 *       (origin down) is tried again with exponential backoff, 100 ms doubling to 30 s, for as long
 *       as the site owns the element: nothing acknowledged is dropped.
 *   <li><b>On a recall</b> (another site wants the element), at once: flush, then hand over (the
 *       flush's commit ends the grant), retried the same way while the coordinator waits.
 *   <li><b>After a restart</b>, the journal recovered from disk is squared with what the
 *       coordinator says this site owns (the first reclaim): the entry it names is kept and
 *       flushed, every other recovered entry was never acknowledged or was superseded, and goes.
 * </ul>
 *
 * <p>A flush holds the element's write lock ({@link Leases#lockOwned}): no write of that key starts
 * at this site during its upload, so the flushed version is the latest and the commit makes the
 * element clean. Flushes stop at the session's deadline (the lock is refused past it).
 *
 * <p>Thread-safe: scheduling on one timer thread, flushes on virtual threads; the set of keys
 * scheduled is a concurrent set.
 */
public final class Flusher implements OwnerEvents, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);
  private static final long FIRST_BACKOFF_MILLIS = 100;
  private static final long MAX_BACKOFF_MILLIS = 30_000;
  private static final Duration LOCK_WAIT = Duration.ofSeconds(30);

  private record Key(String bucket, String key) {}

  private final Journal journal;
  private final Uploader uploader;
  private final Leases leases;
  private final long delayMillis;
  private final Semaphore slots;
  private final Set<Key> scheduled = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("flush-timer").factory());
  private final ExecutorService work =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("flush-", 0).factory());

  /** The largest seq recovered from disk at start: what the first reclaim squares. */
  private final long recoveredUpTo;

  private final AtomicBoolean squared = new AtomicBoolean();
  private volatile boolean closed;
  private final LongAdder flushed = new LongAdder();
  private final LongAdder flushedBytes = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private volatile @Nullable Counter handOvers;

  public Flusher(
      Journal journal, Uploader uploader, Leases leases, Duration delay, int concurrency) {
    this.journal = journal;
    this.uploader = uploader;
    this.leases = leases;
    this.delayMillis = delay.toMillis();
    this.slots = new Semaphore(concurrency);
    long max = 0;
    for (JournalEntry e : journal.all()) {
      max = Math.max(max, e.seq());
    }
    this.recoveredUpTo = max;
  }

  /** A dirty write of the key was acknowledged: flush it after the delay. */
  public void dirtied(String bucket, String key) {
    schedule(new Key(bucket, key), delayMillis, FIRST_BACKOFF_MILLIS);
  }

  /** A journaled write whose commit was refused: it was never acknowledged, so it goes. */
  public void dropUnacknowledged(JournalEntry entry) {
    journal.remove(entry);
  }

  /**
   * Flushes an element this site owns while its write lock is held (a write-through write over a
   * dirty element flushes it first). Returns the lease after the flush.
   */
  public WriteLease flushHeld(WriteLease lease) {
    if (!lease.dirty()) {
      return lease;
    }
    WriteLease next = upload(lease, false);
    return next == null ? lease : next;
  }

  @Override
  public void recalled(String bucket, String key) {
    long backoff = FIRST_BACKOFF_MILLIS;
    while (true) {
      try {
        if (flushOne(new Key(bucket, key), true)) {
          counter(handOvers);
          return;
        }
      } catch (RuntimeException e) {
        LOG.debug("handing over {}/{}: {}", bucket, key, e.toString());
      }
      if (closed || leases.owned(bucket, key) == null) {
        return; // no longer this site's to hand over
      }
      sleep(backoff);
      backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
    }
  }

  @Override
  public void reclaimed(List<WriteLease> owned, List<PrefixLease> prefixes) {
    if (squared.compareAndSet(false, true)) {
      square(owned, prefixes);
    }
    for (WriteLease l : adopt(owned, prefixes)) {
      schedule(new Key(l.bucket(), l.key()), 0, FIRST_BACKOFF_MILLIS);
    }
  }

  @Override
  public void prefixGranted(PrefixLease lease) {
    java.util.Set<String> owned = new java.util.HashSet<>();
    for (WriteLease l : leases.ownedUnder(lease.bucket(), lease.prefix())) {
      owned.add(l.key());
    }
    for (JournalEntry e : journal.all()) {
      if (lease.covers(e.bucket(), e.key()) && !owned.contains(e.key())) {
        LOG.info(
            "dropping journal entry {} of {}/{}: a write that never took effect",
            e.seq(),
            e.bucket(),
            e.key());
        journal.remove(e);
      }
    }
  }

  @Override
  public WriteLease adopt(WriteLease l) {
    JournalEntry latest = journal.latest(l.bucket(), l.key());
    dirtied(l.bucket(), l.key()); // adopted outside a reclaim: nothing else schedules its flush
    return latest == null || latest.seq() <= l.journalSeq()
        ? l
        : l.withLatest(latest.info(), latest.seq());
  }

  /** The latest journal entry of each key. */
  private Map<Key, JournalEntry> latest() {
    Map<Key, JournalEntry> out = new HashMap<>();
    for (JournalEntry e : journal.all()) {
      out.merge(new Key(e.bucket(), e.key()), e, (a, b) -> a.seq() >= b.seq() ? a : b);
    }
    return out;
  }

  /**
   * What this site owns again after a registration, with the journal's latest version of each key:
   * an owned element's writes after its last commit needed none (docs/protocol.md, Ownership), and
   * the coordinator knows nothing of the keys written under a prefix lease. Returns every lease
   * owned.
   */
  private List<WriteLease> adopt(List<WriteLease> owned, List<PrefixLease> prefixes) {
    Map<Key, JournalEntry> latest = latest();
    List<WriteLease> out = new java.util.ArrayList<>();
    java.util.Set<Key> elements = new java.util.HashSet<>();
    for (WriteLease l : owned) {
      Key k = new Key(l.bucket(), l.key());
      elements.add(k);
      JournalEntry e = latest.get(k);
      WriteLease now = l;
      if (e != null && e.seq() > l.journalSeq()) {
        now = l.withLatest(e.info(), e.seq());
      }
      leases.adopt(now); // only now is it served here: the journal's latest, not the coordinator's
      out.add(now);
    }
    for (PrefixLease p : prefixes) {
      for (Map.Entry<Key, JournalEntry> me : latest.entrySet()) {
        Key k = me.getKey();
        if (!elements.contains(k) && p.covers(k.bucket(), k.key())) {
          JournalEntry e = me.getValue();
          WriteLease under = WriteLease.adoptedUnder(p, k.key(), e.info(), e.seq());
          leases.adopt(under);
          out.add(under);
        }
      }
    }
    return out;
  }

  /**
   * Keeps, of the entries recovered at start, only the latest of each key the coordinator says is
   * this site's (dirty here from that entry on, or under a prefix lease it reclaimed).
   */
  private void square(List<WriteLease> owned, List<PrefixLease> prefixes) {
    Map<Key, Long> floor = new HashMap<>();
    for (WriteLease l : owned) {
      floor.put(new Key(l.bucket(), l.key()), l.journalSeq());
    }
    Map<Key, JournalEntry> latest = latest();
    for (JournalEntry e : journal.all()) {
      if (e.seq() > recoveredUpTo) {
        continue; // written since start: its own write keeps or removes it
      }
      Key k = new Key(e.bucket(), e.key());
      Long from = floor.get(k);
      boolean underPrefix = false;
      for (PrefixLease p : prefixes) {
        underPrefix |= p.covers(e.bucket(), e.key());
      }
      boolean mine = underPrefix || (from != null && e.seq() >= from);
      if (!mine || latest.get(k) != e) {
        if (!mine) {
          LOG.warn(
              "journal entry {} of {}/{} is not this site's at the coordinator (never"
                  + " acknowledged, flushed already, or this site was declared lost): dropping it",
              e.seq(),
              e.bucket(),
              e.key());
        }
        journal.remove(e);
      }
    }
  }

  private final java.util.Set<PrefixLease> handingOver = ConcurrentHashMap.newKeySet();

  /**
   * A recall of a prefix lease: no new write uses it, those in flight end, every key written under
   * it is flushed (retried while the origin fails), and then it is given back.
   */
  @Override
  public void prefixRecalled(PrefixLease lease) {
    if (!handingOver.add(lease)) {
      return; // the coordinator sends a recall again while the first is being answered
    }
    try {
      leases.closePrefix(lease);
      long backoff = FIRST_BACKOFF_MILLIS;
      while (!closed && leases.prefix(lease.bucket(), lease.prefix()) == lease) {
        boolean all = true;
        for (WriteLease l : leases.ownedUnder(lease.bucket(), lease.prefix())) {
          if (!l.underPrefix()) {
            continue; // an element of its own grant: its own recall hands it over
          }
          try {
            all &= flushOne(new Key(l.bucket(), l.key()), true);
          } catch (RuntimeException e) {
            all = false;
            LOG.debug("handing over {}/{}: {}", l.bucket(), l.key(), e.toString());
          }
        }
        if (all) {
          leases.releasePrefix(lease);
          counter(handOvers);
          return;
        }
        sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("handing over prefix lease {} failed: {}", lease, e.toString());
    } finally {
      handingOver.remove(lease);
    }
  }

  private void schedule(Key k, long afterMillis, long backoff) {
    if (!scheduled.add(k)) {
      return;
    }
    try {
      timer.schedule(() -> start(k, backoff), afterMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      scheduled.remove(k); // closed
    }
  }

  private void start(Key k, long backoff) {
    try {
      work.execute(() -> background(k, backoff));
    } catch (RejectedExecutionException e) {
      scheduled.remove(k);
    }
  }

  private void background(Key k, long backoff) {
    scheduled.remove(k);
    boolean done = false;
    try {
      done = flushNow(k);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (RuntimeException e) {
      LOG.warn(
          "flushing {}/{} failed, trying again in {} ms: {}",
          k.bucket(),
          k.key(),
          backoff,
          e.getMessage());
    }
    if (!done && leases.owned(k.bucket(), k.key()) != null) {
      schedule(k, backoff, Math.min(MAX_BACKOFF_MILLIS, backoff * 2));
    }
  }

  /**
   * Flushes one element under its write lock; with {@code release}, hands it over too. True when
   * there is nothing more to do (flushed, or not this site's).
   */
  private boolean flushOne(Key k, boolean release) {
    WriteLease lease = leases.lockOwned(k.bucket(), k.key(), LOCK_WAIT);
    if (lease == null) {
      return true;
    }
    try {
      if (!lease.dirty()) {
        if (release) {
          leases.flushed(lease, lease.info(), true);
        }
        return true;
      }
      upload(lease, release);
      return true;
    } catch (StaleEpochException e) {
      LOG.warn("the flush of {}/{} was refused: {}", k.bucket(), k.key(), e.getMessage());
      return true; // the grant is gone: the element is no longer this site's to flush
    } finally {
      leases.unlockOwned(lease);
    }
  }

  /**
   * Uploads the lease's dirty version and commits it; the lease to keep after (null once handed
   * over). Throws if the origin or the coordinator failed (retried by the caller).
   */
  private @Nullable WriteLease upload(WriteLease lease, boolean release) {
    JournalEntry entry = journal.entry(lease.bucket(), lease.key(), lease.journalSeq());
    if (entry == null) {
      throw new IllegalStateException(
          "journal entry "
              + lease.journalSeq()
              + " of "
              + lease.bucket()
              + "/"
              + lease.key()
              + " is missing: it cannot be flushed (the journal's disk lost it)");
    }
    ObjectInfo atOrigin;
    try {
      // The fence may be learned from the origin just before the put: the put must still be this
      // site's to make then (its session valid), or another site's newer write could be under it.
      atOrigin =
          uploader.upload(
              entry, lease.fence(), () -> leases.owned(lease.bucket(), lease.key()) != null);
    } catch (S3Exception | LeaseUnavailableException e) {
      failures.increment();
      throw e;
    }
    WriteLease next = leases.flushed(lease, atOrigin, release);
    journal.removeUpTo(lease.bucket(), lease.key(), entry.seq());
    flushed.increment();
    flushedBytes.add(entry.size());
    return next;
  }

  /** Registers the journal and flush meters. */
  public void bindMetrics(MeterRegistry registry) {
    Gauge.builder("leasehold.journal.entries", journal, Journal::count)
        .description("Acknowledged write-back versions not yet at the origin (journal entries)")
        .register(registry);
    Gauge.builder("leasehold.journal.bytes", journal, Journal::bytes)
        .baseUnit("bytes")
        .description("Bytes of write-back data not yet at the origin")
        .register(registry);
    FunctionCounter.builder("leasehold.flush.objects", flushed, LongAdder::sum)
        .description("Versions flushed to the origin")
        .register(registry);
    FunctionCounter.builder("leasehold.flush.bytes", flushedBytes, LongAdder::sum)
        .baseUnit("bytes")
        .description("Bytes flushed to the origin")
        .register(registry);
    FunctionCounter.builder("leasehold.flush.failures", failures, LongAdder::sum)
        .description("Flush uploads that failed (each is retried with backoff)")
        .register(registry);
    handOvers =
        Counter.builder("leasehold.flush.handovers")
            .description("Owned elements flushed and handed over on a recall")
            .register(registry);
  }

  private static void counter(@Nullable Counter c) {
    if (c != null) {
      c.increment();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A graceful stop: flushes every version in the journal now, as many at once as flushes may run,
   * retrying failed ones, until the journal is empty, only versions that are not this site's to
   * flush are left (not reclaimed yet), or {@code within} has passed; then stops the flusher.
   * Whether no flush runs anymore: false if the time ran out with one still running (it is
   * interrupted; its upload may still reach the origin). What is left stays in the journal for the
   * next start.
   */
  public boolean flushAllAndStop(Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    long backoff = FIRST_BACKOFF_MILLIS;
    boolean inTime = true;
    rounds:
    while (journal.count() > 0) {
      Set<Key> keys = new java.util.LinkedHashSet<>();
      for (JournalEntry e : journal.all()) {
        keys.add(new Key(e.bucket(), e.key()));
      }
      List<java.util.concurrent.Future<Boolean>> running = new ArrayList<>();
      for (Key k : keys) {
        running.add(work.submit(() -> flushNow(k)));
      }
      boolean retry = false;
      for (java.util.concurrent.Future<Boolean> f : running) {
        try {
          retry |= !f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          LOG.warn("flushing before the stop failed: {}", String.valueOf(e.getCause()));
          retry = true;
        } catch (java.util.concurrent.TimeoutException e) {
          inTime = false;
          break rounds;
        }
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (!retry || left <= 0) {
        break; // done, or what is left is not this site's to flush now
      }
      Thread.sleep(Math.min(backoff, left));
      backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
    }
    closed = true;
    timer.shutdownNow();
    if (inTime) {
      work.shutdown(); // a background flush that started meanwhile ends by itself
    } else {
      work.shutdownNow();
    }
    boolean ended = work.awaitTermination(inTime ? 10 : 2, TimeUnit.SECONDS);
    return inTime && ended;
  }

  /** {@link #flushOne} of {@code k} in one of the flush slots. */
  private boolean flushNow(Key k) throws InterruptedException {
    slots.acquire();
    try {
      return flushOne(k, false);
    } finally {
      slots.release();
    }
  }

  /** Stops flushing; what is dirty stays in the journal, for the next start. */
  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    work.shutdownNow();
  }
}
