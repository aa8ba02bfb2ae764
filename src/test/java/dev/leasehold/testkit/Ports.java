package dev.leasehold.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Loopback ports for a server that must be told its port before it starts (a Raft peer's address is
 * in every peer's configuration): each is held open, so nothing else on the machine is given it,
 * until {@link #release} just before the server that binds it starts. A server that can bind port 0
 * and report what it got should do that instead.
 *
 * <p>Not thread-safe: owned by the test thread that reserved them.
 */
public final class Ports implements AutoCloseable {
  private final List<ServerSocket> held = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  private Ports() {}

  /** Reserves {@code n} distinct loopback ports. */
  public static Ports reserve(int n) {
    Ports p = new Ports();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket();
        p.held.add(s);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        p.ports.add(s.getLocalPort());
      }
      return p;
    } catch (IOException e) {
      p.close();
      throw new UncheckedIOException("cannot reserve loopback ports", e);
    }
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
