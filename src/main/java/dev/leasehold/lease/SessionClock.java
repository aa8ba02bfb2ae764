package dev.leasehold.lease;

import java.util.function.LongSupplier;

/**
 * The site's local deadline (docs/protocol.md, Sessions 2): {@code sent + ttl·(1−drift)}, where
 * {@code sent} is when the site sent its last renewal that the coordinator acknowledged. The
 * coordinator expires the session no sooner than {@code received + ttl·(1+drift)}, so with clock
 * rates within {@code drift} the site always stops first.
 *
 * <p>Thread-safe: renewals update it, every lease check reads it.
 */
final class SessionClock {
  private final LongSupplier nanoTime;
  private volatile long session;
  private volatile long deadline;
  private volatile long lifetimeNanos;

  SessionClock(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  long now() {
    return nanoTime.getAsLong();
  }

  /** A new session, acknowledged for a request sent at {@code sentNanos}. */
  synchronized void started(long session, long sentNanos, long ttlNanos, double drift) {
    this.lifetimeNanos = (long) (ttlNanos * (1 - drift));
    this.session = session;
    this.deadline = sentNanos + lifetimeNanos;
  }

  /** A renewal of {@code session} sent at {@code sentNanos} was acknowledged. */
  synchronized void renewed(long session, long sentNanos) {
    if (session == this.session && sentNanos + lifetimeNanos - deadline > 0) {
      deadline = sentNanos + lifetimeNanos;
    }
  }

  /** The session is gone (expired at the coordinator, or superseded). */
  synchronized void lost(long session) {
    if (session == this.session) {
      this.session = 0;
      this.deadline = now();
    }
  }

  /** The current session, or 0 if there is none. */
  long session() {
    return session;
  }

  /** Whether {@code session} is the current one and its deadline has not passed. */
  boolean valid(long session) {
    return session != 0 && session == this.session && deadline - now() > 0;
  }

  /** Nanoseconds to the deadline (negative once past). */
  long remainingNanos() {
    return deadline - now();
  }
}
