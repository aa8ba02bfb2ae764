package dev.leasehold.lease;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One holder at a time per key, for keys that come and go: an entry lives while someone holds or
 * waits for it. Not owner-bound (a permit, not a reentrant lock), so a lock may end on another
 * thread than the one that took it.
 *
 * <p>Thread-safe: the map's compute functions are the only writers of an entry's user count.
 */
final class ElementLocks<K> {
  private static final class Entry {
    final Semaphore permit = new Semaphore(1);
    int users;
  }

  private final ConcurrentHashMap<K, Entry> locks = new ConcurrentHashMap<>();

  /** Takes {@code key}'s lock, waiting up to {@code wait}; whether it was taken. */
  boolean lock(K key, Duration wait) {
    Entry entry =
        locks.compute(
            key,
            (k, e) -> {
              Entry in = e == null ? new Entry() : e;
              in.users++;
              return in;
            });
    boolean taken = false;
    try {
      taken = entry.permit.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!taken) {
      leave(key);
    }
    return taken;
  }

  /** Gives back {@code key}'s lock, taken by {@link #lock}. */
  void unlock(K key) {
    Entry entry = locks.get(key);
    if (entry == null) {
      throw new IllegalStateException("not locked: " + key);
    }
    entry.permit.release();
    leave(key);
  }

  private void leave(K key) {
    locks.computeIfPresent(key, (k, e) -> --e.users == 0 ? null : e);
  }

  /** Keys held or waited for now. */
  int size() {
    return locks.size();
  }
}
