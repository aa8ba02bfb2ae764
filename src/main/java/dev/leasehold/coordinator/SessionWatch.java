package dev.leasehold.coordinator;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * When each session was last renewed, by this peer's clock, so the leader can expire sessions that
 * stopped renewing: {@code ttl·(1+drift)} after the last renewal it applied (docs/protocol.md,
 * Sessions 2). A renewal is applied no earlier than it was received, so this is never sooner than
 * the rule asks.
 *
 * <p>A peer that becomes leader did not see the old leader's clock: it starts every session's
 * countdown afresh at the moment it takes over (Sessions 4: it honours every lease it knows).
 *
 * <p>Thread-safe: updated on the apply thread, read by the leader's expiry task.
 */
final class SessionWatch {
  /** A session's renewal count and the local time the last renewal was applied. */
  record Seen(long renewals, long nanos) {}

  private final Map<Long, Seen> seen = new ConcurrentHashMap<>();
  private final Map<Long, Long> expiring = new ConcurrentHashMap<>();
  private final LongSupplier nanoTime;
  private final long expiryNanos;

  SessionWatch(LongSupplier nanoTime, long expiryNanos) {
    this.nanoTime = nanoTime;
    this.expiryNanos = expiryNanos;
  }

  /** Apply thread: follows registrations, renewals and expiries in log order. */
  void applied(Command command, CommandResult result) {
    switch (command.getCommandCase()) {
      case REGISTER -> seen.put(result.getSession(), new Seen(0, nanoTime.getAsLong()));
      case RENEW -> {
        long id = command.getRenew().getSession();
        if (result.getOutcome() == Outcome.OK) {
          Seen before = seen.get(id);
          seen.put(id, new Seen(before == null ? 0 : before.renewals() + 1, nanoTime.getAsLong()));
        }
      }
      case EXPIRE -> {
        long id = command.getExpire().getSession();
        Seen s = seen.get(id);
        if (s != null && s.renewals() == command.getExpire().getRenewalsSeen()) {
          seen.remove(id);
        }
        expiring.remove(id);
      }
      default -> {}
    }
  }

  /** This peer took over as leader: every known session's countdown starts now. */
  void takeOver(Map<Long, Long> sessions) {
    long now = nanoTime.getAsLong();
    seen.clear();
    expiring.clear();
    sessions.forEach((id, renewals) -> seen.put(id, new Seen(renewals, now)));
  }

  /** Sessions past their expiry that are not being expired already, with their renewal counts. */
  List<Map.Entry<Long, Long>> due() {
    long now = nanoTime.getAsLong();
    List<Map.Entry<Long, Long>> due = new ArrayList<>();
    seen.forEach((id, s) -> {
      if (now - s.nanos() > expiryNanos && expiring.putIfAbsent(id, s.renewals()) == null) {
        due.add(Map.entry(id, s.renewals()));
      }
    });
    return due;
  }

  /** An expiry that could not be submitted: try it again later. */
  void retry(long session) {
    expiring.remove(session);
  }
}
