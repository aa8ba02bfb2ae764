package dev.leasehold.coordinator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * One coordinator peer's configuration. Immutable.
 *
 * @param id this peer's id in the group, such as {@code c1}
 * @param dataDir where Ratis keeps this peer's log and snapshots
 * @param bind the address both ports listen on
 * @param clientPort the port sites call (gRPC); 0 picks a free one
 * @param raftPort the port peers replicate on; must be this peer's port in {@code peers}
 * @param peers every peer of the group, id to {@code host:raftPort}
 * @param ttl how long a session lives without a renewal
 * @param drift the bound on clock-rate differences between sites and coordinator (0.01 is 1%)
 * @param standalone whether this peer runs on its own (not embedded in a site): a standalone peer
 *     that starts with no state waits out any leases an earlier incarnation granted
 */
public record CoordinatorSettings(
    String id,
    Path dataDir,
    String bind,
    int clientPort,
    int raftPort,
    Map<String, String> peers,
    Duration ttl,
    double drift,
    boolean standalone) {

  public static final Duration DEFAULT_TTL = Duration.ofSeconds(10);
  public static final double DEFAULT_DRIFT = 0.01;

  public CoordinatorSettings {
    peers = Map.copyOf(peers);
    if (!peers.containsKey(id)) {
      throw new IllegalArgumentException(
          "peer " + id + " is not among the peers " + peers.keySet());
    }
    if (drift < 0 || drift >= 0.5) {
      throw new IllegalArgumentException("drift must be in [0, 0.5)");
    }
  }

  /** When the coordinator gives up on a session: {@code ttl·(1+drift)} after its last renewal. */
  public Duration expiry() {
    return Duration.ofNanos((long) (ttl.toNanos() * (1 + drift)));
  }
}
