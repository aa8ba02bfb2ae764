package dev.leasehold.bench;

import dev.leasehold.s3.Credentials;
import dev.leasehold.testkit.BuiltJar;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Leasehold site run from the built jar as a user runs it ({@code leasehold serve}, embedded
 * coordinator), in its own process so its memory is its own. Not thread-safe.
 */
final class SiteProcess implements AutoCloseable {
  static final Credentials CREDENTIALS =
      new Credentials("bench-access", "bench-secret-key-0123456789");

  final int s3Port = Tools.freePort();
  final int adminPort = Tools.freePort();
  private final Path dataDir;
  private final boolean https;
  private final Process process;
  private final HttpClient http = HttpClient.newHttpClient();

  /**
   * Starts a site with its data in {@code dataDir}; {@code origin} is an {@code s3://} spec with
   * {@code originKeys}, or null for the embedded default (a directory origin under the data dir).
   */
  SiteProcess(Path dataDir, String origin, Credentials originKeys, String... settings)
      throws IOException, InterruptedException {
    this.dataDir = dataDir;
    this.https = List.of(settings).contains("--tls-cert");
    Files.createDirectories(dataDir);
    List<String> args = new ArrayList<>(List.of("serve", "--data-dir", dataDir.toString()));
    args.addAll(
        List.of(
            "--s3-port",
            Integer.toString(s3Port),
            "--admin-port",
            Integer.toString(adminPort),
            "--peer-port",
            "0",
            "--coordinator-port",
            "0"));
    if (origin != null) {
      args.addAll(List.of("--origin", origin));
    }
    args.addAll(List.of(settings));
    List<String> command = new ArrayList<>(BuiltJar.command(args.toArray(String[]::new)));
    String jvm = System.getenv("BENCH_SITE_JAVA_OPTS"); // such as a JFR recording, to profile
    if (jvm != null && !jvm.isBlank()) {
      command.addAll(1, List.of(jvm.trim().split("\\s+")));
    }
    if (SiteProfiler.EVENT != null) {
      command.add(1, "-XX:+EnableDynamicAgentLoading"); // the bench attaches async-profiler
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dataDir.resolve("site.log").toFile());
    builder.environment().put("LEASEHOLD_ACCESS_KEY", CREDENTIALS.accessKey());
    builder.environment().put("LEASEHOLD_SECRET_KEY", CREDENTIALS.secretKey());
    if (originKeys != null) {
      builder.environment().put("LEASEHOLD_ORIGIN_ACCESS_KEY", originKeys.accessKey());
      builder.environment().put("LEASEHOLD_ORIGIN_SECRET_KEY", originKeys.secretKey());
    }
    process = builder.start();
    awaitReady();
  }

  URI endpoint() {
    return URI.create((https ? "https" : "http") + "://127.0.0.1:" + s3Port);
  }

  long pid() {
    return process.pid();
  }

  /** CPU time the site's process has used so far (user and system), in seconds. */
  double cpuSeconds() {
    return HotPathBench.cpuSeconds(process.toHandle());
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    URI ready = URI.create("http://127.0.0.1:" + adminPort + "/health/ready");
    while (true) {
      try {
        int status =
            http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
        if (status == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!process.isAlive()) {
        throw new IOException("the site exited: " + Files.readString(dataDir.resolve("site.log")));
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the site was not ready after 60 s");
      }
      Thread.sleep(100);
    }
  }

  /** Resident memory now and at its peak ({@code VmRSS}, {@code VmHWM}), in bytes. */
  long[] residentBytes() throws IOException {
    long rss = 0;
    long peak = 0;
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = kib(line);
      } else if (line.startsWith("VmHWM:")) {
        peak = kib(line);
      }
    }
    return new long[] {rss, peak};
  }

  private static long kib(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
  }

  private static final Pattern HEAP_USED =
      Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\} ([0-9.eE+]+)$");

  private static final Pattern COMPILATION =
      Pattern.compile("(?m)^jvm_compilation_time_ms_total\\{[^}]*\\} ([0-9.eE+]+)$");

  /** Heap in use now (the sum over the heap's pools), from the site's Prometheus endpoint. */
  long heapUsedBytes() throws IOException, InterruptedException {
    Matcher m = HEAP_USED.matcher(metrics());
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return (long) sum;
  }

  /** Milliseconds the site's JIT has spent compiling, from its Prometheus endpoint. */
  long compilationMillis() throws IOException, InterruptedException {
    Matcher m = COMPILATION.matcher(metrics());
    if (!m.find()) {
      throw new IOException("the site's /metrics has no jvm_compilation_time_ms_total");
    }
    return (long) Double.parseDouble(m.group(1));
  }

  private String metrics() throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** Bytes of files under the site's cache directory. */
  long cacheBytesOnDisk() throws IOException {
    try (Stream<Path> files = Files.walk(dataDir.resolve("cache"))) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(p -> {
            try {
              return Files.size(p);
            } catch (IOException gone) {
              return 0; // evicted meanwhile
            }
          })
          .sum();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
