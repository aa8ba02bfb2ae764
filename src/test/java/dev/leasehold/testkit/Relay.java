package dev.leasehold.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A wide-area link on loopback: a TCP relay from a port of its own to a target, which holds every
 * byte a one-way delay in each direction, sends no faster than a bandwidth cap, and can be cut
 * (nothing passes, in either direction, until it heals: what was sent waits, as TCP's would behind
 * a partition) or reset (every connection closed at once). Distance is then counted in round trips
 * that noise on loopback cannot fake.
 *
 * <p>The delay is a propagation delay: bytes sent back to back arrive back to back, one delay
 * later, not one delay per piece. Each direction of each connection is a reader that stamps what it
 * reads with the time it is due and a writer that sends it then; at most 256 pieces of 64 KiB wait
 * on a direction (the reader then stops reading, so a sender is slowed as TCP would slow it).
 *
 * <p>Thread-safe: the settings are volatile, read at each piece; a connection's two directions each
 * have their own reader and writer (virtual threads) and queue. Close it once.
 */
public final class Relay implements AutoCloseable {
  private static final int PIECE = 64 * 1024;
  private static final byte[] END = new byte[0];

  private record Piece(byte[] bytes, long due) {}

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong relayed = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private final Object gate = new Object();
  private volatile long delayNanos;
  private volatile long bytesPerSecond;
  private volatile boolean cut;
  private volatile boolean closed;

  private Relay(InetSocketAddress target, Duration oneWay) throws IOException {
    this.target = target;
    this.delayNanos = oneWay.toNanos();
    this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().name("relay-accept-" + server.getLocalPort()).start(this::accept);
  }

  /**
   * A relay on a free loopback port to {@code target}, delaying each direction by {@code oneWay}.
   */
  public static Relay to(InetSocketAddress target, Duration oneWay) {
    try {
      return new Relay(target, oneWay);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a relay to " + target, e);
    }
  }

  /** A relay to {@code host:port} on loopback. */
  public static Relay to(String hostPort, Duration oneWay) {
    int colon = hostPort.lastIndexOf(':');
    return to(
        new InetSocketAddress(
            hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))),
        oneWay);
  }

  /** Its own port, which callers connect to instead of the target's. */
  public int port() {
    return server.getLocalPort();
  }

  /** {@code 127.0.0.1:port}. */
  public String hostPort() {
    return "127.0.0.1:" + port();
  }

  /** Sets the one-way delay, each direction, for what is read from now on. */
  public void delay(Duration oneWay) {
    this.delayNanos = oneWay.toNanos();
  }

  /** Caps each direction of each connection at {@code bytesPerSecond}; 0 lifts the cap. */
  public void bandwidth(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /**
   * Cuts the link: nothing passes (new connections wait for their target too) until {@link #heal}.
   */
  public void cut() {
    cut = true;
  }

  /** Lets through what waited, and everything after. */
  public void heal() {
    synchronized (gate) {
      cut = false;
      gate.notifyAll();
    }
  }

  /** Closes every connection open now, as a reset would; new ones are relayed as before. */
  public void reset() {
    for (Socket s : open) {
      closeQuietly(s);
    }
  }

  /** Bytes delivered (or being written) so far, both directions. */
  public long bytesRelayed() {
    return relayed.get();
  }

  /** Connections accepted so far. */
  public long connections() {
    return connections.get();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    reset();
    heal();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      connections.incrementAndGet();
      open.add(client);
      Thread.ofVirtual().start(() -> connect(client));
    }
  }

  private void connect(Socket client) {
    Socket upstream = new Socket();
    open.add(upstream);
    try {
      awaitHealed();
      upstream.connect(target, 5_000);
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      java.util.concurrent.atomic.AtomicInteger ended =
          new java.util.concurrent.atomic.AtomicInteger();
      pipe(client, upstream, ended);
      pipe(upstream, client, ended);
    } catch (IOException | InterruptedException e) {
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }

  /** One direction: a reader stamping pieces with when they are due, a writer sending them then. */
  private void pipe(Socket from, Socket to, java.util.concurrent.atomic.AtomicInteger ended)
      throws IOException {
    InputStream in = from.getInputStream();
    OutputStream out = to.getOutputStream();
    BlockingQueue<Piece> queue = new ArrayBlockingQueue<>(256);
    Thread.ofVirtual()
        .start(() -> {
          long lastDue = 0;
          byte[] buffer = new byte[PIECE];
          try {
            int n;
            while ((n = in.read(buffer)) > 0) {
              long due = Math.max(System.nanoTime() + delayNanos, lastDue);
              long rate = bytesPerSecond;
              if (rate > 0) {
                due += n * 1_000_000_000L / rate;
              }
              lastDue = due;
              queue.put(new Piece(Arrays.copyOf(buffer, n), due));
            }
            queue.put(new Piece(END, Math.max(System.nanoTime() + delayNanos, lastDue)));
          } catch (IOException | InterruptedException e) {
            closeQuietly(from);
            closeQuietly(to);
            queue.offer(new Piece(END, 0));
          }
        });
    Thread.ofVirtual()
        .start(() -> {
          try {
            while (true) {
              Piece p = queue.take();
              long wait;
              while ((wait = p.due() - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
              }
              awaitHealed();
              if (p.bytes() == END) {
                if (ended.incrementAndGet() == 2) {
                  closeQuietly(from);
                  closeQuietly(to);
                } else if (!to.isClosed()) {
                  to.shutdownOutput();
                }
                return;
              }
              relayed.addAndGet(p.bytes().length); // counted before the peer can see them
              out.write(p.bytes());
              out.flush();
            }
          } catch (IOException | InterruptedException e) {
            closeQuietly(from);
            closeQuietly(to);
          }
        });
  }

  private void awaitHealed() throws InterruptedException {
    synchronized (gate) {
      while (cut && !closed) {
        gate.wait();
      }
    }
  }

  private void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    if (c instanceof Socket s) {
      open.remove(s);
    }
  }
}
