package dev.leasehold.lease;

import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Whether a name is a site of the namespace with a live session, as the coordinator last said: the
 * peer port answers only those (a coordinator peer's certificate, or one made for a site that never
 * registered, is of the namespace but not a site). A name not among them makes it ask the
 * coordinator again, at most every 200 ms; an answer that cannot be had (the group unreachable)
 * keeps the sites it knew, so that redirects go on through an outage of the group.
 *
 * <p>Thread-safe: the known names are one immutable set behind a volatile field; one caller at a
 * time asks again, and the others wait for its answer.
 */
public final class RegisteredSites implements Predicate<String> {
  private static final long ASK_NANOS = 200_000_000L;

  private final Supplier<Map<String, String>> ask;
  private volatile Set<String> known = Set.of();
  private long askedAt = System.nanoTime() - ASK_NANOS; // guarded by this

  /**
   * @param ask the sites with a live session, by name; empty if the group cannot be reached
   */
  public RegisteredSites(Supplier<Map<String, String>> ask) {
    this.ask = ask;
  }

  @Override
  public boolean test(String site) {
    if (known.contains(site)) {
      return true;
    }
    askAgain();
    return known.contains(site);
  }

  private synchronized void askAgain() {
    long now = System.nanoTime();
    if (now - askedAt < ASK_NANOS) {
      return;
    }
    askedAt = now;
    Map<String, String> sites = ask.get();
    if (!sites.isEmpty()) {
      known = Set.copyOf(sites.keySet());
    }
  }
}
