package dev.leasehold.lease;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.ReleaseLeases;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The READ leases a site holds (docs/protocol.md, Leases), and the recall sequence that says which
 * grants may still be kept.
 *
 * <p>Held leases live in a bounded map for an O(1) check on the hot path; the least used are
 * released, in batches, when the map is full or a lease sits idle. A lease is only valid under the
 * session that was granted it.
 *
 * <p>Every end of a lease here (a recall, a write beginning or failing, a hand-over) draws a number
 * from one sequence and notes it on the element ({@link #forget}); a grant asked for before that
 * number is not kept ({@link #keep}). The lease is dropped from the map before anything tells the
 * coordinator it is gone, so no read that starts after the release is served under it. Each release
 * names the coordinator's number of the grant it ends, so one that reaches the table late (a
 * retried call, a batch) cannot end a newer grant of the element to this site.
 *
 * <p>Thread-safe: the maps are concurrent, and {@link #keep} checks the element's last end again
 * after it puts, so a recall that slips in between wins.
 */
final class ReadLeases {
  private static final Logger LOG = LoggerFactory.getLogger(ReadLeases.class);

  private final CoordinatorLink link;
  private final SiteSession session;
  private final HeldPrefixes prefixes;
  private final Cache<LeaseKey, ReadLease> held;

  /** When each element's lease last ended here, as a number from {@link #sequence}. */
  private final Cache<LeaseKey, Long> ended =
      Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(5)).build();

  private final AtomicLong sequence = new AtomicLong();
  private final LongAdder granted = new LongAdder();
  private final LongAdder released = new LongAdder();

  /** A lease that fell out of the map, to be released in the next batch. */
  private record Evicted(long session, Element element, long grant) {}

  private final ConcurrentLinkedQueue<Evicted> toRelease = new ConcurrentLinkedQueue<>();

  ReadLeases(
      CoordinatorLink link, LeaseSettings settings, SiteSession session, HeldPrefixes prefixes) {
    this.link = link;
    this.session = session;
    this.prefixes = prefixes;
    this.held =
        Caffeine.newBuilder()
            .maximumSize(settings.maxHeld())
            .expireAfterAccess(settings.idle())
            .executor(Runnable::run)
            .removalListener(this::removed)
            .build();
  }

  /** The lease held on an element, if it is valid now: no call leaves the site. */
  @Nullable ReadLease held(String bucket, String key) {
    ReadLease lease = held.getIfPresent(new LeaseKey(bucket, key));
    return lease == null || !session.valid(lease.session()) ? null : lease;
  }

  /** The recall sequence now: a grant asked for at this point is kept unless it moves past. */
  long sequence() {
    return sequence.get();
  }

  /** A READ grant came from the coordinator (counted for the meters). */
  void countGrant() {
    granted.increment();
  }

  /** Drops the lease held on an element; a grant asked for before now will not be kept. */
  void forget(LeaseKey key) {
    ended.put(key, sequence.incrementAndGet());
    held.asMap().remove(key);
  }

  /** Whether the element's lease ended here after {@code sequence} was drawn. */
  boolean endedSince(LeaseKey key, long since) {
    Long last = ended.getIfPresent(key);
    return last != null && last > since;
  }

  /** Keeps a lease asked for at {@code asked}, unless the element was recalled since. */
  void keep(LeaseKey key, ReadLease lease, long asked) {
    if (prefixes.covering(key.bucket(), key.key()) != null) {
      return; // under this site's prefix lease it holds no READ lease of its own
    }
    if (endedSince(key, asked)) {
      return;
    }
    held.put(key, lease);
    if (endedSince(key, asked)) {
      held.asMap().remove(key, lease); // a recall slipped in while the lease was being kept
    }
  }

  /** The site learned the version a lease names: keep that, if the lease is still held. */
  ReadLease learned(ReadLease lease, @Nullable ObjectInfo info) {
    ReadLease knowing = lease.knowing(info);
    held.asMap().replace(new LeaseKey(lease.bucket(), lease.key()), lease, knowing);
    return knowing;
  }

  /** A prefix lease was granted: the coordinator ended this site's leases under it. */
  void dropUnder(PrefixLease prefix) {
    sequence.incrementAndGet();
    held.asMap().keySet().removeIf(k -> prefix.covers(k.bucket(), k.key()));
  }

  /** The session is gone: its leases are void (none is released: nothing holds them). */
  void lost(long id) {
    held.asMap().values().removeIf(l -> l.session() == id);
  }

  long count() {
    return held.estimatedSize();
  }

  long granted() {
    return granted.sum();
  }

  long released() {
    return released.sum();
  }

  /** Caffeine removal listener: leases that fell out of the map for room or idleness. */
  private void removed(@Nullable LeaseKey key, @Nullable ReadLease lease, RemovalCause cause) {
    if (key != null && lease != null && cause.wasEvicted()) {
      toRelease.add(
          new Evicted(lease.session(), Versions.element(key.bucket(), key.key()), lease.grant()));
    }
  }

  /** Hands the leases evicted since the last call, of the current session, to {@code run}. */
  void releaseEvicted(Consumer<Runnable> run) {
    long id = session.current();
    List<Element> batch = new ArrayList<>();
    List<Long> grants = new ArrayList<>();
    Evicted next;
    while ((next = toRelease.poll()) != null && batch.size() < 1000) {
      if (next.session() == id) {
        batch.add(next.element());
        grants.add(next.grant());
      }
    }
    if (!batch.isEmpty()) {
      run.accept(() -> release(id, batch, grants));
    }
  }

  /**
   * Tells the coordinator these leases are gone, each named by its READ grant (best effort: expiry
   * releases them anyway).
   */
  void release(long id, List<Element> elements, List<Long> grants) {
    released.add(elements.size());
    try {
      link.submit(
          Command.newBuilder()
              .setRelease(
                  ReleaseLeases.newBuilder()
                      .setSession(id)
                      .addAllElements(elements)
                      .addAllGrants(grants))
              .build(),
          CoordinatorLink.CALL_MILLIS);
    } catch (LeaseUnavailableException e) {
      // The coordinator waits out what it cannot be told: the session's expiry releases all.
      LOG.debug("releasing {} leases of session {}: {}", elements.size(), id, e.getMessage());
    }
  }
}
