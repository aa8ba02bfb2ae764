package dev.leasehold.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for a server that must be told its port before it starts (a Raft peer's address is
 * in every peer's configuration): each is held open, so nothing else on the machine is given it,
 * until {@link #release} just before the server that binds it starts. A server that can bind port 0
 * and report what it got should do that instead.
 *
 * <p>They are taken outside the kernel's ephemeral range ({@code ip_local_port_range}), at random:
 * a port from that range, once released, is the kernel's to give to the next connection a test
 * opens as its local port, and a peer that then cannot bind it stops its JVM (Ratis exits on a
 * failed bind). Outside it, only another reservation could take a port, and that binds to check.
 *
 * <p>Not thread-safe: owned by the test thread that reserved them.
 */
public final class Ports implements AutoCloseable {
  private final List<ServerSocket> held = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  private Ports() {}

  /** Where ports are taken: below the ephemeral range, or above it if too little lies below. */
  private static final int[] RANGE = outsideEphemeral();

  /** Reserves {@code n} distinct loopback ports. */
  public static Ports reserve(int n) {
    Ports p = new Ports();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = bindOne();
        p.held.add(s);
        p.ports.add(s.getLocalPort());
      }
      return p;
    } catch (IOException e) {
      p.close();
      throw new UncheckedIOException("cannot reserve loopback ports", e);
    }
  }

  /** A free port of {@link #RANGE}, tried at random (bounded), held open. */
  private static ServerSocket bindOne() throws IOException {
    IOException last = null;
    for (int tries = 0; tries < 200; tries++) {
      int port = ThreadLocalRandom.current().nextInt(RANGE[0], RANGE[1]);
      ServerSocket s = new ServerSocket();
      try {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return s;
      } catch (IOException e) {
        s.close();
        last = e;
      }
    }
    throw new IOException("no free port in " + RANGE[0] + ".." + RANGE[1], last);
  }

  private static int[] outsideEphemeral() {
    int low = 32768;
    int high = 60999;
    try {
      String[] range =
          Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+");
      low = Integer.parseInt(range[0]);
      high = Integer.parseInt(range[1]);
    } catch (IOException | RuntimeException e) {
      // not Linux, or hidden: the kernel's usual range
    }
    if (low - 10_000 >= 5_000) {
      return new int[] {10_000, low};
    }
    if (65_535 - high >= 2_000) {
      return new int[] {high + 1, 65_536};
    }
    throw new IllegalStateException("no port range outside the ephemeral " + low + ".." + high);
  }

  public int get(int i) {
    return ports.get(i);
  }

  /** Lets the servers bind them now. */
  public void release() {
    for (ServerSocket s : held) {
      try {
        s.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    held.clear();
  }

  @Override
  public void close() {
    try {
      release();
    } catch (UncheckedIOException e) {
      // closing a listening socket we own does not fail in practice; nothing to undo
    }
  }
}
