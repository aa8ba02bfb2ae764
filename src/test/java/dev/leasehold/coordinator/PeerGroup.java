package dev.leasehold.coordinator;

import dev.leasehold.testkit.Ports;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.jspecify.annotations.Nullable;

/**
 * A coordinator group of peers in this JVM, for tests of the group itself: each peer can be stopped
 * and started again on its data directory and ports, and its Raft properties changed ({@code
 * tuning}) after Leasehold's own. Sites are not part of it (see {@code LocalCluster} for those).
 *
 * <p>Not thread-safe: built, faulted and closed from the test thread.
 */
final class PeerGroup implements AutoCloseable {
  private final List<CoordinatorSettings> settings = new ArrayList<>();
  private final List<@Nullable CoordinatorPeer> peers = new ArrayList<>();
  private final Consumer<RaftProperties> tuning;
  private final RaftGroup group;

  private PeerGroup(
      Path dir, int n, Duration ttl, Consumer<RaftProperties> tuning, @Nullable Path certsDir) {
    this.tuning = tuning;
    Map<String, String> members = new LinkedHashMap<>();
    try (Ports raft = Ports.reserve(n)) {
      for (int i = 0; i < n; i++) {
        members.put("c" + (i + 1), "127.0.0.1:" + raft.get(i));
      }
      for (int i = 0; i < n; i++) {
        String id = "c" + (i + 1);
        CoordinatorSettings s =
            new CoordinatorSettings(
                id,
                dir.resolve(id),
                "127.0.0.1",
                0,
                raft.get(i),
                members,
                ttl,
                CoordinatorSettings.DEFAULT_DRIFT,
                false);
        settings.add(
            certsDir == null ? s : s.withCertificates(NodeCertificates.load(certsDir, id)));
        Files.createDirectories(dir.resolve(id));
        peers.add(null);
      }
      raft.release();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<RaftPeer> raftPeers = new ArrayList<>();
    members.forEach((id, address) ->
        raftPeers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
    this.group = RaftGroup.valueOf(CoordinatorPeer.GROUP, raftPeers);
  }

  /** Starts {@code n} peers under {@code dir}; stops those that started if one fails. */
  static PeerGroup start(Path dir, int n, Duration ttl, Consumer<RaftProperties> tuning) {
    return start(dir, n, ttl, tuning, null);
  }

  /**
   * {@link #start(Path, int, Duration, Consumer)} with mutual TLS on every port: peer {@code cN}
   * presents {@code cN.crt} of {@code certsDir}.
   */
  static PeerGroup start(
      Path dir, int n, Duration ttl, Consumer<RaftProperties> tuning, @Nullable Path certsDir) {
    PeerGroup g = new PeerGroup(dir, n, ttl, tuning, certsDir);
    try {
      for (int i = 0; i < n; i++) {
        g.start(i);
      }
      return g;
    } catch (RuntimeException e) {
      g.close();
      throw e;
    }
  }

  /** Starts peer {@code i} (again), on its data directory and ports. */
  void start(int i) {
    if (peers.get(i) != null) {
      throw new IllegalStateException("peer " + i + " is running");
    }
    peers.set(i, CoordinatorPeer.start(settings.get(i), System::nanoTime, tuning));
  }

  /** Stops peer {@code i} and checks that its Raft server is down. */
  void stop(int i) {
    CoordinatorPeer p = peer(i);
    peers.set(i, null);
    p.close();
    if (p.raftAlive()) {
      throw new IllegalStateException("peer " + i + "'s Raft server still runs after close");
    }
  }

  CoordinatorPeer peer(int i) {
    CoordinatorPeer p = peers.get(i);
    if (p == null) {
      throw new IllegalStateException("peer " + i + " is down");
    }
    return p;
  }

  /** The Raft group, as a client names it. */
  RaftGroup raftGroup() {
    return group;
  }

  /** The index of a running peer that leads, waiting up to {@code timeout} for one. */
  int awaitLeader(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      for (int i = 0; i < peers.size(); i++) {
        CoordinatorPeer p = peers.get(i);
        if (p != null && p.isLeader()) {
          return i;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no leader within " + timeout);
  }

  @Override
  public void close() {
    for (CoordinatorPeer p : peers) {
      if (p != null) {
        p.close();
      }
    }
  }
}
