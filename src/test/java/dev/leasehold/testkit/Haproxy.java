package dev.leasehold.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * HAProxy (Debian's package) in front of several sites at one place, as docs/operations.md (Rolling
 * restarts) configures it: TCP passthrough (TLS ends at the sites), round robin, each site
 * health-checked on its admin endpoint's {@code /health/ready} every 200 ms, taken out at the first
 * failed check and back after two good ones, and a refused connection tried again at another site.
 * Its stats socket says how it sees each site.
 *
 * <p>Not thread-safe: start, ask and close from one thread.
 */
public final class Haproxy implements AutoCloseable {
  /** Where Debian installs it (scripts/test installs the package). */
  static final Path BINARY = Path.of("/usr/sbin/haproxy");

  /** A site behind the balancer: its name, S3 port and admin (health) port on 127.0.0.1. */
  public record Backend(String name, int s3Port, int adminPort) {}

  private final Path dir;
  private final int port;
  private final Process process;

  private Haproxy(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** The configuration for {@code backends} behind 127.0.0.1:{@code port}. */
  static String config(Path socket, int port, List<Backend> backends) {
    StringBuilder servers = new StringBuilder();
    for (Backend b : backends) {
      servers.append(
          String.format("  server %s 127.0.0.1:%d port %d%n", b.name(), b.s3Port(), b.adminPort()));
    }
    return """
    global
      stats socket %s mode 600 level admin
      maxconn 4096

    defaults
      mode tcp
      timeout connect 2s
      timeout client 120s
      timeout server 120s
      retries 3
      option redispatch 1

    frontend s3
      bind 127.0.0.1:%d
      default_backend sites

    backend sites
      balance roundrobin
      option httpchk
      http-check send meth GET uri /health/ready ver HTTP/1.1 hdr Host localhost
      http-check expect status 200
      default-server check check-ssl verify none inter 200 fastinter 200 downinter 500 rise 2 fall 1
    %s\
    """
        .formatted(socket, port, servers);
  }

  /** Starts HAProxy in front of {@code backends}; returns once its port accepts connections. */
  public static Haproxy start(Path dir, List<Backend> backends) {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException(
          BINARY + " is missing: install Debian's haproxy package (scripts/test does)");
    }
    try {
      Files.createDirectories(dir);
      int port;
      try (Ports ports = Ports.reserve(1)) {
        port = ports.get(0);
      }
      Path cfg = dir.resolve("haproxy.cfg");
      Files.writeString(cfg, config(dir.resolve("haproxy.sock"), port, backends));
      Process p =
          new ProcessBuilder(BINARY.toString(), "-db", "-f", cfg.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("haproxy.log").toFile())
              .start();
      Haproxy h = new Haproxy(dir, port, p);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!h.accepting()) {
        if (!p.isAlive() || System.nanoTime() - deadline > 0) {
          String log = Files.readString(dir.resolve("haproxy.log"));
          h.close();
          throw new IllegalStateException("HAProxy did not start:\n" + log);
        }
        Thread.sleep(50);
      }
      return h;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private boolean accepting() {
    try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
      return c.isConnected();
    } catch (IOException e) {
      return false;
    }
  }

  /** Where clients send S3 requests: the balancer, over the sites' own TLS. */
  public URI endpoint() {
    return URI.create("https://127.0.0.1:" + port);
  }

  /** Each site's state as HAProxy sees it now ({@code UP}, {@code DOWN}, ...), by name. */
  public Map<String, String> states() {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> header = new ArrayList<>();
    for (String line : ask("show stat").split("\n")) {
      if (line.startsWith("# ")) {
        header = List.of(line.substring(2).split(","));
        continue;
      }
      String[] fields = line.split(",", -1);
      int proxy = header.indexOf("pxname");
      int server = header.indexOf("svname");
      int status = header.indexOf("status");
      if (proxy < 0 || fields.length <= status || !fields[proxy].equals("sites")) {
        continue;
      }
      if (!fields[server].equals("BACKEND")) {
        out.put(fields[server], fields[status]);
      }
    }
    return out;
  }

  /** Waits until HAProxy sees site {@code name} in {@code state} (UP, DOWN), up to {@code max}. */
  public void await(String name, String state, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    Map<String, String> now = states();
    while (!String.valueOf(now.get(name)).startsWith(state)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "HAProxy did not see " + name + " " + state + " within " + max + ": " + now);
      }
      sleep(50);
      now = states();
    }
  }

  /** A command on the stats socket; its answer. */
  private String ask(String command) {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(dir.resolve("haproxy.sock")));
      c.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
      StringBuilder out = new StringBuilder();
      while (c.read(buffer) > 0) {
        buffer.flip();
        out.append(StandardCharsets.US_ASCII.decode(buffer));
        buffer.clear();
      }
      return out.toString();
    } catch (IOException e) {
      throw new UncheckedIOException("HAProxy's stats socket", e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
