package dev.leasehold.lease;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A prefix WRITE lease this site holds (docs/protocol.md, Prefix leases): while it is open, a write
 * of any key under {@code bucket/prefix} here needs no round trip to the coordinator.
 *
 * <p>Closing it (for a recall, or to give it back) first stops new writes from using it, then waits
 * for those in flight, so that the flush that follows sees every write made under it.
 *
 * <p>Thread-safe: the count of writes in flight and the closed flag are one atomic integer (the
 * sign bit is "closed").
 */
public final class PrefixLease {
  private static final int CLOSED = Integer.MIN_VALUE;

  private final String bucket;
  private final String prefix;
  private final long session;
  private final long epoch;
  private final AtomicInteger state = new AtomicInteger();

  PrefixLease(String bucket, String prefix, long session, long epoch) {
    this.bucket = bucket;
    this.prefix = prefix;
    this.session = session;
    this.epoch = epoch;
  }

  public String bucket() {
    return bucket;
  }

  public String prefix() {
    return prefix;
  }

  public long session() {
    return session;
  }

  public long epoch() {
    return epoch;
  }

  public boolean covers(String bucket, String key) {
    return this.bucket.equals(bucket) && key.startsWith(prefix);
  }

  /** A write under the lease begins; false once the lease is closing. */
  boolean enter() {
    while (true) {
      int s = state.get();
      if (s < 0) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  /** A write under the lease ended. */
  void exit() {
    state.decrementAndGet();
  }

  boolean closed() {
    return state.get() < 0;
  }

  /** Stops new writes from using the lease, without waiting (its session is gone). */
  void shut() {
    while (true) {
      int s = state.get();
      if (s < 0 || state.compareAndSet(s, s | CLOSED)) {
        return;
      }
    }
  }

  /** Stops new writes from using the lease and waits for those in flight. */
  void close() throws InterruptedException {
    while (true) {
      int s = state.get();
      if (s < 0 || state.compareAndSet(s, s | CLOSED)) {
        break;
      }
    }
    while (state.get() != CLOSED) {
      Thread.sleep(1);
    }
  }

  @Override
  public String toString() {
    return bucket + "/" + prefix + "* (epoch " + epoch + ")";
  }
}
