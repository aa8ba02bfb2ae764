package dev.leasehold.coordinator;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where the lease table is: the point of the last command applied to it, so that callers waiting
 * for a grant (a write in progress, holders to recall) wake up when anything after their own
 * command was applied, and try again.
 *
 * <p>A point is a command's place in the log: its entry's index and its position in the entry (a
 * batch holds many; {@link #point}). A caller waits for a point after its own command's, which
 * {@link Submitter} returns with the command's result: reading the table's point when the answer
 * arrived instead would count the commands applied in between (later ones of the same batch, say, a
 * release the caller must see) as seen, and the caller would sleep through them.
 *
 * <p>Thread-safe: moved on the apply thread, waited on by request threads (virtual threads, so a
 * lock and condition rather than a monitor).
 */
final class Changes {
  /** More places than an entry has commands ({@link Submitter#MAX_COMMANDS}). */
  static final long POSITIONS = 1 << 12;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long applied;

  /** The point of the command at {@code position} in the entry at {@code index}. */
  static long point(long index, int position) {
    return index * POSITIONS + position;
  }

  /** The point of everything up to and including the entry at {@code index} (a snapshot's). */
  static long through(long index) {
    return point(index, (int) POSITIONS - 1);
  }

  /** The point of the last command applied. */
  long applied() {
    lock.lock();
    try {
      return applied;
    } finally {
      lock.unlock();
    }
  }

  /** A command (or a snapshot) was applied at {@code point}. */
  void moved(long point) {
    lock.lock();
    try {
      applied = Math.max(applied, point);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until a command after {@code seen} was applied, or {@code nanos} pass. */
  void awaitAfter(long seen, long nanos) throws InterruptedException {
    lock.lock();
    try {
      long left = nanos;
      while (applied <= seen && left > 0) {
        left = changed.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  static long millis(long ms) {
    return TimeUnit.MILLISECONDS.toNanos(ms);
  }
}
