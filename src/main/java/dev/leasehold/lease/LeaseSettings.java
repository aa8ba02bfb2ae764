package dev.leasehold.lease;

import java.time.Duration;

/**
 * How a site holds leases. Immutable.
 *
 * @param site the site's name, unique in the namespace
 * @param address the site's admin endpoint, for operators (may be empty)
 * @param peerAddress the site's peer port, where other sites reach it (empty: it takes no
 *     redirects)
 * @param maxHeld the most READ leases held at once; beyond it the least used are released
 * @param idle how long an unused READ lease is kept before it is released
 * @param acquireWait how long the coordinator may take to grant (recalls, a write in progress): 20
 *     s by default, so that a write that cannot be granted is answered 503 SlowDown well inside an
 *     AWS SDK's 30 s read timeout (with the default 10 s session, a holder that went silent has
 *     expired by then)
 */
public record LeaseSettings(
    String site,
    String address,
    String peerAddress,
    long maxHeld,
    Duration idle,
    Duration acquireWait) {

  /** These settings, with the site's admin endpoint and its peer port. */
  public LeaseSettings at(String address, String peerAddress) {
    return new LeaseSettings(site, address, peerAddress, maxHeld, idle, acquireWait);
  }

  public static LeaseSettings defaults(String site) {
    return new LeaseSettings(site, "", "", 100_000, Duration.ofMinutes(10), Duration.ofSeconds(20));
  }
}
