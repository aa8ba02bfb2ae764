package dev.leasehold.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The programs the hot-path benchmark compares Leasehold with, or loads it with (nginx, wrk,
 * iperf3), run as child processes on loopback, each bounded in time. Stateless.
 */
final class Tools {
  private Tools() {}

  /** A free loopback port (free when asked; the caller binds it soon after). */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a command to its end (at most {@code timeout}) and returns its output; fails unless 0. */
  static String run(Duration timeout, List<String> command) throws IOException {
    Path out = Files.createTempFile("bench-", ".out");
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      try {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new IOException(command.get(0) + " did not finish within " + timeout);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", command) + " failed (" + p.exitValue() + "): " + text);
      }
      return text;
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** nginx with {@code bench/conf/nginx.conf}: a sendfile server and a proxy_cache server. */
  /** A certificate, its key and the one TLS 1.3 cipher suite a server is to use. */
  record Tls(Path cert, Path key, String suite) {}

  /**
   * The TLS 1.3 cipher suite a server on a loopback port negotiates with OpenSSL's client ({@code
   * openssl s_client -brief}).
   */
  static String negotiatedSuite(int port) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                "openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_3", "-brief")
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("Ciphersuite: (\\S+)").matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no TLS 1.3 cipher suite from port " + port + ":\n" + out);
    }
    return m.group(1);
  }

  static final class Nginx implements AutoCloseable {
    final int staticPort = freePort();
    final int cachePort = freePort();
    final int tlsPort = freePort();
    private final Process process;

    Nginx(Path work, int originPort) throws IOException, InterruptedException {
      this(work, originPort, null);
    }

    /**
     * With {@code tls}, also the proxy_cache over HTTPS on {@link #tlsPort}: that certificate and
     * only that TLS 1.3 suite.
     */
    Nginx(Path work, int originPort, @org.jspecify.annotations.Nullable Tls tls)
        throws IOException, InterruptedException {
      Files.createDirectories(work.resolve("files"));
      String conf =
          Files.readString(Path.of("bench/conf/nginx.conf"))
              .replace("@WORK@", work.toAbsolutePath().toString())
              .replace("@ORIGIN_PORT@", Integer.toString(originPort))
              .replace("@STATIC_PORT@", Integer.toString(staticPort))
              .replace("@CACHE_PORT@", Integer.toString(cachePort));
      if (tls != null) {
        // The proxy_cache server again, on TLS: its location block, as the plain one has it.
        String location =
            conf.substring(conf.indexOf("    location / {"), conf.lastIndexOf("  }\n}"));
        String server =
            "  server {\n"
                + "    listen 127.0.0.1:"
                + tlsPort
                + " ssl;\n"
                + "    ssl_certificate "
                + tls.cert().toAbsolutePath()
                + ";\n"
                + "    ssl_certificate_key "
                + tls.key().toAbsolutePath()
                + ";\n"
                + "    ssl_protocols TLSv1.3;\n"
                + "    ssl_conf_command Ciphersuites "
                + tls.suite()
                + ";\n"
                + "    ssl_session_cache shared:tls:16m;\n"
                + location
                + "  }\n";
        int end = conf.lastIndexOf("}");
        conf = conf.substring(0, end) + server + "}\n";
      }
      Path file = work.resolve("nginx.conf");
      Files.writeString(file, conf);
      process =
          new ProcessBuilder("nginx", "-p", work.toAbsolutePath().toString(), "-c", file.toString())
              .redirectErrorStream(true)
              .redirectOutput(work.resolve("nginx.out").toFile())
              .start();
      awaitPort(staticPort, process, work.resolve("nginx.out"));
      awaitPort(cachePort, process, work.resolve("nginx.out"));
      if (tls != null) {
        awaitPort(tlsPort, process, work.resolve("nginx.out"));
      }
    }

    /** CPU time nginx's master and workers have used so far (user and system), in seconds. */
    double cpuSeconds() {
      return HotPathBench.cpuSeconds(process.toHandle())
          + process.descendants().mapToDouble(HotPathBench::cpuSeconds).sum();
    }

    /** Where nginx serves the files of {@code hit-large}. */
    static Path files(Path work) {
      return work.resolve("files");
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy(); // SIGTERM: nginx's fast shutdown, workers included
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Waits (at most 30 s) until something accepts connections on a loopback port. */
  static void awaitPort(int port, Process process, Path log)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        if (!process.isAlive()) {
          throw new IOException("exited before listening: " + Files.readString(log));
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("nothing listens on port " + port + " after 30 s");
        }
        Thread.sleep(50);
      }
    }
  }

  /** One wrk run: requests/s, latency percentiles, and the errors it saw. */
  record WrkResult(
      long requests,
      double seconds,
      long bytes,
      double p50Ms,
      double p99Ms,
      double p999Ms,
      long statusErrors,
      long socketErrors) {
    double requestsPerSecond() {
      return requests / seconds;
    }

    /** Fails unless every response was a 2xx of {@code size} bytes. */
    WrkResult check(String what, long size) {
      if (statusErrors > 0 || socketErrors > 0) {
        throw new IllegalStateException(
            what + ": " + statusErrors + " non-2xx responses, " + socketErrors + " socket errors");
      }
      if (requests == 0 || bytes < requests * size) {
        throw new IllegalStateException(
            what + ": " + bytes + " bytes for " + requests + " responses of " + size);
      }
      return this;
    }
  }

  private static final Pattern WRK =
      Pattern.compile(
          "WRK requests=(\\d+) duration_us=(\\d+) bytes=(\\d+) p50_us=(\\d+) p99_us=(\\d+)"
              + " p999_us=(\\d+) status_errors=(\\d+) socket_errors=(\\d+)");

  /** wrk with 2 threads and {@code connections} connections on {@code url} for {@code seconds}. */
  static WrkResult wrk(String url, int connections, int seconds) throws IOException {
    String out =
        run(
            Duration.ofSeconds(seconds + 30),
            List.of(
                "wrk",
                "-t2",
                "-c" + connections,
                "-d" + seconds + "s",
                "--timeout",
                "10s",
                "-s",
                "bench/conf/wrk-report.lua",
                url));
    Matcher m = WRK.matcher(out);
    if (!m.find()) {
      throw new IOException("no result from wrk: " + out);
    }
    return new WrkResult(
        Long.parseLong(m.group(1)),
        Long.parseLong(m.group(2)) / 1e6,
        Long.parseLong(m.group(3)),
        Long.parseLong(m.group(4)) / 1e3,
        Long.parseLong(m.group(5)) / 1e3,
        Long.parseLong(m.group(6)) / 1e3,
        Long.parseLong(m.group(7)),
        Long.parseLong(m.group(8)));
  }

  private static final Pattern IPERF_RECEIVED =
      Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

  /** iperf3's single-stream loopback throughput moving {@code bytes}, in bytes per second. */
  static double iperf3(long bytes) throws IOException, InterruptedException {
    int port = freePort();
    Process server =
        new ProcessBuilder("iperf3", "-s", "-B", "127.0.0.1", "-p", Integer.toString(port))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      awaitPort(port, server, Path.of("/dev/null"));
      String out =
          run(
              Duration.ofSeconds(60),
              List.of(
                  "iperf3",
                  "-c",
                  "127.0.0.1",
                  "-p",
                  Integer.toString(port),
                  "-n",
                  Long.toString(bytes),
                  "-J"));
      Matcher m = IPERF_RECEIVED.matcher(out);
      if (!m.find()) {
        throw new IOException("no result from iperf3: " + out);
      }
      return Double.parseDouble(m.group(1)) / 8;
    } finally {
      server.destroy();
      server.waitFor(5, TimeUnit.SECONDS);
    }
  }

  /** Whether every program is on the PATH; names those that are not. */
  static List<String> missing(String... programs) {
    List<String> out = new ArrayList<>();
    String path = System.getenv().getOrDefault("PATH", "");
    for (String p : programs) {
      boolean found = false;
      for (String dir : path.split(":")) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, p))) {
          found = true;
          break;
        }
      }
      if (!found) {
        out.add(p);
      }
    }
    return out;
  }
}
