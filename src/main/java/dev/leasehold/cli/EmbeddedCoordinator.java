package dev.leasehold.cli;

import dev.leasehold.coordinator.CoordinatorPeer;
import dev.leasehold.coordinator.CoordinatorSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The single-peer coordinator a site runs in its own process when it is given no coordinator group:
 * its Raft log under {@code <data-dir>/coordinator}, on loopback. The Raft port is chosen once and
 * kept in {@code <data-dir>/meta/coordinator-raft-port}, so a restarted site finds its log's peer
 * where it left it. Stateless.
 */
final class EmbeddedCoordinator {
  static final String PEER = "embedded";

  private EmbeddedCoordinator() {}

  static CoordinatorPeer start(SiteConfig config) {
    try {
      int raftPort = raftPort(config.metaDir());
      return CoordinatorPeer.start(
          new CoordinatorSettings(
              PEER,
              config.coordinatorDir(),
              "127.0.0.1",
              config.coordinatorPort(),
              raftPort,
              Map.of(PEER, "127.0.0.1:" + raftPort),
              config.leaseTtl(),
              config.leaseDrift(),
              false));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded coordinator", e);
    }
  }

  private static int raftPort(Path metaDir) throws IOException {
    Files.createDirectories(metaDir);
    Path file = metaDir.resolve("coordinator-raft-port");
    if (Files.exists(file)) {
      int kept = Integer.parseInt(Files.readString(file, StandardCharsets.UTF_8).trim());
      if (free(kept)) {
        return kept;
      }
    }
    int port;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
      port = s.getLocalPort();
    }
    Files.writeString(file, Integer.toString(port), StandardCharsets.UTF_8);
    return port;
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }
}
