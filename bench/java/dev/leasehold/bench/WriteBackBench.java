package dev.leasehold.bench;

import dev.leasehold.cli.Setting;
import dev.leasehold.cli.Site;
import dev.leasehold.testkit.LocalCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What write-back buys (issue: write-back buckets): on loopback, 3 sites over one coordinator and
 * the directory origin (the embedded default, which fsyncs every put),
 *
 * <ul>
 *   <li>put latency (one client) and puts/s (8 clients) in a write-through bucket and in a
 *       write-back bucket, for 4 KiB, 1 MiB and 64 MiB objects;
 *   <li>4 KiB GETs: a cache hit under a READ lease, a GET at the owner of an unflushed version, the
 *       same GET elsewhere redirected to the owner, and the first GET elsewhere by recall;
 *   <li>new 4 KiB keys under a prefix lease (no coordinator round trip per key);
 *   <li>flush throughput: a burst of 1 MiB puts, and how fast the journal drains to the origin.
 * </ul>
 *
 * Every loop is bounded in count and time. Run with {@code bench/run.sh writeback}.
 */
public final class WriteBackBench {
  static final long MAX_SECONDS_PER_RUN = 60;
  static final int CLIENTS = 8;
  static final int READS = 1_000;
  static final int RECALLS = 200;

  private record Size(String name, int bytes, int latencyPuts, int throughputPuts) {}

  static final List<Size> SIZES =
      List.of(
          new Size("4 KiB", 4 * 1024, 1_000, 4_000),
          new Size("1 MiB", 1024 * 1024, 300, 800),
          new Size("64 MiB", 64 * 1024 * 1024, 8, 16));

  private WriteBackBench() {}

  public static void main(String[] args) throws Exception {
    System.out.println(
        "write-back benchmark: 3 sites, 1 coordinator peer, directory origin, loopback");
    try (LocalCluster cluster =
        LocalCluster.builder()
            .sites(3)
            .cacheSize(4L << 30)
            .set(Setting.FLUSH_DELAY, "2s")
            .start()) {
      try (S3Client a = cluster.client(0)) {
        a.createBucket(b -> b.bucket("through"));
        a.createBucket(b -> b.bucket("back"));
        a.createBucket(b -> b.bucket("redirect"));
      }
      writeBack(cluster, "back", "recall");
      writeBack(cluster, "redirect", "redirect");
      for (Size size : SIZES) {
        puts(cluster, "through", size);
        puts(cluster, "back", size);
        drain(cluster.site(0));
      }
      prefixPuts(cluster);
      drain(cluster.site(0));
      readsElsewhere(cluster);
    }
    flushThroughput();
  }

  /** New 4 KiB keys under a prefix lease: no coordinator round trip per key. */
  static void prefixPuts(LocalCluster cluster) throws InterruptedException {
    cluster.site(0).leases().acquirePrefix("back", "dir/");
    byte[] body = new byte[4096];
    Latencies latencies = sequential(cluster, "back", 1_000, i -> "dir/lat-" + i, body);
    double perSecond = putsPerSecond(cluster, "back", 4_000, n -> "dir/tput-" + n, body);
    System.out.printf(
        "prefix lease  4 KiB  new-key put %s; %d clients: %.0f puts/s (coordinator calls: %d)%n",
        latencies.summary(), CLIENTS, perSecond, cluster.link(0).calls("AcquirePrefix"));
    cluster.site(0).leases().closePrefix(cluster.site(0).leases().prefix("back", "dir/"));
  }

  static void writeBack(LocalCluster cluster, String bucket, String policy)
      throws InterruptedException {
    cluster.site(0).leases().admin().setWriteMode(bucket, true, policy);
    try (S3Client a = cluster.client(0)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (cluster.site(0).leases().owned(bucket, "probe") == null) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("the bucket did not become write-back");
        }
        a.putObject(p -> p.bucket(bucket).key("probe"), RequestBody.fromString("p"));
        Thread.sleep(100);
      }
    }
  }

  /** Latency with one client, then puts/s with CLIENTS clients, at site 0. */
  static void puts(LocalCluster cluster, String bucket, Size size) throws InterruptedException {
    byte[] body = new byte[size.bytes()];
    new java.util.Random(size.bytes()).nextBytes(body);
    Latencies latencies =
        sequential(
            cluster, bucket, size.latencyPuts(), i -> "lat-" + size.bytes() + "-" + (i % 16), body);
    double perSecond =
        putsPerSecond(
            cluster,
            bucket,
            size.throughputPuts(),
            n -> "tput-" + size.bytes() + "-" + (n % 64),
            body);
    System.out.printf(
        "%-13s %-6s put %s; %d clients: %.0f puts/s, %.1f MiB/s%n",
        bucket.equals("back") ? "write-back" : "write-through",
        size.name(),
        latencies.summary(),
        CLIENTS,
        perSecond,
        perSecond * size.bytes() / (1 << 20));
  }

  /** {@code count} puts one after another at site 0 (bounded in time): their latencies. */
  static Latencies sequential(
      LocalCluster cluster, String bucket, int count, IntFunction<String> key, byte[] body) {
    Latencies latencies = new Latencies();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_SECONDS_PER_RUN);
    try (S3Client a = cluster.client(0)) {
      for (int i = 0; i < count && System.nanoTime() - deadline < 0; i++) {
        String k = key.apply(i);
        long t0 = System.nanoTime();
        a.putObject(p -> p.bucket(bucket).key(k), RequestBody.fromBytes(body));
        latencies.add(System.nanoTime() - t0);
      }
    }
    return latencies;
  }

  /** {@code count} puts by CLIENTS clients at once at site 0 (bounded in time): puts/s. */
  static double putsPerSecond(
      LocalCluster cluster, String bucket, int count, IntFunction<String> key, byte[] body)
      throws InterruptedException {
    AtomicInteger done = new AtomicInteger();
    AtomicInteger next = new AtomicInteger();
    long start = System.nanoTime();
    long stop = start + TimeUnit.SECONDS.toNanos(MAX_SECONDS_PER_RUN);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < CLIENTS; t++) {
      threads.add(
          Thread.ofPlatform()
              .start(() -> {
                try (S3Client s3 = cluster.client(0)) {
                  int n;
                  while ((n = next.getAndIncrement()) < count && System.nanoTime() - stop < 0) {
                    String k = key.apply(n);
                    s3.putObject(p -> p.bucket(bucket).key(k), RequestBody.fromBytes(body));
                    done.incrementAndGet();
                  }
                }
              }));
    }
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(MAX_SECONDS_PER_RUN + 60));
    }
    return done.get() / ((System.nanoTime() - start) / 1e9);
  }

  /** Waits (bounded) until site's journal is empty, so one run's flushes do not slow the next. */
  static void drain(Site site) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (site.journal().count() > 0 && System.nanoTime() - deadline < 0) {
      Thread.sleep(50);
    }
  }

  /**
   * 4 KiB GETs: a cache hit under a READ lease (write-through bucket), a GET at the owner of an
   * unflushed version, the same GET at another site redirected to the owner, and the first GET at
   * another site by recall (the owner flushes, then hands over).
   */
  static void readsElsewhere(LocalCluster cluster) {
    byte[] body = new byte[4096];
    Latencies hit = new Latencies();
    Latencies owner = new Latencies();
    Latencies redirected = new Latencies();
    Latencies recalled = new Latencies();
    try (S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      a.putObject(p -> p.bucket("through").key("hot"), RequestBody.fromBytes(body));
      a.putObject(p -> p.bucket("redirect").key("hot"), RequestBody.fromBytes(body));
      for (int i = 0; i < READS; i++) {
        long t0 = System.nanoTime();
        check(b.getObjectAsBytes(g -> g.bucket("through").key("hot")).asByteArray(), body);
        hit.add(System.nanoTime() - t0);
        long t1 = System.nanoTime();
        check(a.getObjectAsBytes(g -> g.bucket("redirect").key("hot")).asByteArray(), body);
        owner.add(System.nanoTime() - t1);
        long t2 = System.nanoTime();
        check(b.getObjectAsBytes(g -> g.bucket("redirect").key("hot")).asByteArray(), body);
        redirected.add(System.nanoTime() - t2);
      }
      for (int i = 0; i < RECALLS; i++) {
        String key = "recall-" + i;
        a.putObject(p -> p.bucket("back").key(key), RequestBody.fromBytes(body));
        long t0 = System.nanoTime();
        check(b.getObjectAsBytes(g -> g.bucket("back").key(key)).asByteArray(), body);
        recalled.add(System.nanoTime() - t0);
      }
    }
    System.out.printf("GET 4 KiB, cache hit under a READ lease   %s%n", hit.summary());
    System.out.printf("GET 4 KiB at the owner, unflushed         %s%n", owner.summary());
    System.out.printf("GET 4 KiB elsewhere, redirected to owner  %s%n", redirected.summary());
    System.out.printf("GET 4 KiB elsewhere, first, by recall     %s%n", recalled.summary());
    System.out.printf(
        "ratio redirected / lease hit: p50 %.2f  p99 %.2f%n",
        redirected.percentileMillis(50) / hit.percentileMillis(50),
        redirected.percentileMillis(99) / hit.percentileMillis(99));
  }

  private static void check(byte[] got, byte[] want) {
    if (got.length != want.length) {
      throw new IllegalStateException("a GET returned " + got.length + " bytes");
    }
  }

  /**
   * A burst of 1 MiB puts into the journal of a site whose flush-delay outlasts the burst, then the
   * time its flusher takes to drain it to the origin.
   */
  static void flushThroughput() throws InterruptedException {
    try (LocalCluster cluster =
        LocalCluster.builder().sites(1).coordinators(1).set(Setting.FLUSH_DELAY, "30s").start()) {
      try (S3Client a = cluster.client(0)) {
        a.createBucket(b -> b.bucket("back"));
      }
      writeBack(cluster, "back", "recall");
      flushThroughput(cluster);
    }
  }

  static void flushThroughput(LocalCluster cluster) throws InterruptedException {
    Site owner = cluster.site(0);
    drain(owner);
    byte[] body = new byte[1 << 20];
    new java.util.Random(7).nextBytes(body);
    int puts = 256;
    try (S3Client a = cluster.client(0)) {
      for (int i = 0; i < puts; i++) {
        String key = "flush-" + i;
        a.putObject(p -> p.bucket("back").key(key), RequestBody.fromBytes(body));
      }
    }
    long full = owner.journal().bytes();
    if (full < (long) puts << 20) {
      throw new IllegalStateException("flushes began before the burst ended; raise flush-delay");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (owner.journal().bytes() >= full && System.nanoTime() - deadline < 0) {
      Thread.sleep(5); // until the flush-delay passes and the first upload lands
    }
    long start = System.nanoTime();
    long startBytes = owner.journal().bytes();
    drain(owner);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "flush: %.1f MiB drained in %.2f s = %.0f MiB/s (flush-concurrency %s, %d x 1 MiB)%n",
        startBytes / (double) (1 << 20),
        seconds,
        startBytes / (double) (1 << 20) / seconds,
        Setting.FLUSH_CONCURRENCY.defaultValue(),
        puts);
    if (owner.journal().count() != 0) {
      throw new IllegalStateException("the journal did not drain in 120 s");
    }
  }
}
