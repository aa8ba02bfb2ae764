package dev.leasehold.lease;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The writes a site has in flight: one per element at a time, each under its own grant, whose end
 * (commit or abort) is the end of that grant alone and gives the element's lock back. A flush, an
 * adoption and a read that takes an owned element from the journal take the same lock.
 *
 * <p>Thread-safe. An element's lock is a permit, not owner-bound: it is taken by {@link #lock} or
 * {@link #begin} and given back by {@link #unlock} or by the end of the grant it was taken for
 * ({@link #ended}), on whatever thread that happens.
 */
final class WritesInFlight {
  private final ElementLocks<LeaseKey> locks = new ElementLocks<>();

  /** The grant of each element being written here. */
  private final Map<LeaseKey, WriteLease> writers = new ConcurrentHashMap<>();

  /** The prefix lease each write in flight under one entered; the write's end exits it. */
  private final Map<LeaseKey, PrefixLease> underPrefix = new ConcurrentHashMap<>();

  /** Whether a write of the element is in flight here (its commit included). */
  boolean writing(LeaseKey key) {
    return writers.containsKey(key);
  }

  /** Takes the element's lock, waiting up to {@code wait}; whether it was taken. */
  boolean lock(LeaseKey key, Duration wait) {
    return locks.lock(key, wait);
  }

  /** Gives back a lock taken by {@link #lock} that no grant holds. */
  void unlock(LeaseKey key) {
    locks.unlock(key);
  }

  /**
   * A write under {@code grant} begins, holding the element's lock (and, under a prefix lease,
   * having entered {@code prefix}); its {@link #ended} gives both back.
   */
  void begin(LeaseKey key, WriteLease grant, @Nullable PrefixLease prefix) {
    if (prefix != null) {
      underPrefix.put(key, prefix);
    }
    writers.put(key, grant);
  }

  /** The write under {@code grant} ended: the next write of the element may go (once). */
  void ended(LeaseKey key, WriteLease grant) {
    PrefixLease entered = underPrefix.remove(key);
    if (entered != null) {
      entered.exit();
    }
    if (writers.remove(key, grant)) {
      locks.unlock(key);
    }
  }
}
