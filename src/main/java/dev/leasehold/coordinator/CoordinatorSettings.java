package dev.leasehold.coordinator;

import dev.leasehold.tls.NodeCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

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
 * @param joining whether this peer was started to join a running group (see {@link #asJoining()})
 * @param certificates this peer's certificates: with them, the client port and the Raft port are
 *     mutual TLS that accepts only the namespace's authority; null serves both plain (for loopback
 *     only)
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
    boolean standalone,
    @Nullable NodeCertificates certificates,
    boolean joining) {

  public static final Duration DEFAULT_TTL = Duration.ofSeconds(10);
  public static final double DEFAULT_DRIFT = 0.01;

  /** Settings for a peer whose ports are plain (loopback only). */
  public CoordinatorSettings(
      String id,
      Path dataDir,
      String bind,
      int clientPort,
      int raftPort,
      Map<String, String> peers,
      Duration ttl,
      double drift,
      boolean standalone) {
    this(id, dataDir, bind, clientPort, raftPort, peers, ttl, drift, standalone, null, false);
  }

  /** These settings with mutual TLS on both ports, presenting {@code certificates}. */
  public CoordinatorSettings withCertificates(NodeCertificates certificates) {
    return new CoordinatorSettings(
        id,
        dataDir,
        bind,
        clientPort,
        raftPort,
        peers,
        ttl,
        drift,
        standalone,
        certificates,
        joining);
  }

  /**
   * These settings for a peer that joins a running group ({@code coordinator --join}): started with
   * no state, it takes the group's table from the leader, so it has no earlier grants to wait out
   * (docs/protocol.md, Sessions 5).
   */
  public CoordinatorSettings asJoining() {
    return new CoordinatorSettings(
        id, dataDir, bind, clientPort, raftPort, peers, ttl, drift, standalone, certificates, true);
  }

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
