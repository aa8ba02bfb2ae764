package dev.leasehold.bench;

import dev.leasehold.lease.Leases;
import dev.leasehold.lease.WriteLease;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The cost of consistency (issue: global namespace): on loopback, 3 sites and a 3-peer coordinator
 * group,
 *
 * <ul>
 *   <li>lease grants per second (READ on fresh elements, many at once from every site);
 *   <li>time to grant READ cold (a fresh element, one round trip and one Raft commit);
 *   <li>time to grant WRITE with 2 readers to recall;
 *   <li>cache-hit GET latency with a held lease vs the foundation's HEAD-per-read check ({@code
 *       origin-check 0s}: the origin, here S3Proxy, is asked on every read).
 * </ul>
 *
 * Every loop is bounded in count and time. Run with {@code bench/run.sh leases}.
 */
public final class LeaseBench {
  static final int GRANT_THREADS_PER_SITE = 16;
  static final int GRANTS = 200_000;
  static final long GRANT_SECONDS = 20;
  static final int COLD_READS = 1_000;
  static final int WRITES = 300;
  static final int GETS = 2_000;

  /**
   * The grant load runs unmeasured in rounds of this long until the JIT has settled (it compiled
   * for at most {@link MixedLoad#SETTLED} of a round), at most {@link #GRANT_WARMUP_ROUNDS} rounds.
   * One JVM runs three peers and three sites here: on two cores its JIT takes a minute or more
   * before it stops recompiling their paths, which a coordinator in service does not pay.
   */
  static final long GRANT_WARMUP_SECONDS = 10;

  static final int GRANT_WARMUP_ROUNDS = Integer.getInteger("bench.leases-warmup-rounds", 9);

  static final int WARMUP = 300;

  private LeaseBench() {}

  public static void main(String[] args) throws Exception {
    System.out.println("lease benchmark: 3 sites, 3 coordinator peers, loopback");
    try (LocalCluster cluster = LocalCluster.builder().sites(3).coordinators(3).start()) {
      grantsPerSecond(cluster);
      coldReads(cluster);
      writesRecallingTwoReaders(cluster);
    }
    Latencies leased = hits("30s");
    Latencies headPerRead = hits("0s");
    System.out.printf("GET hit, lease held       %s%n", leased.summary());
    System.out.printf("GET hit, HEAD per read    %s%n", headPerRead.summary());
    System.out.printf(
        "ratio lease / HEAD-per-read: p50 %.2f  p99 %.2f  mean %.2f%n",
        leased.percentileMillis(50) / headPerRead.percentileMillis(50),
        leased.percentileMillis(99) / headPerRead.percentileMillis(99),
        leased.meanMillis() / headPerRead.meanMillis());
  }

  /**
   * READ grants on fresh elements from every site at once: first the same load, unmeasured, until
   * the JIT has settled ({@link #warm}: the coordinator as it runs after a while in service), then
   * until GRANTS or GRANT_SECONDS, measured, and profiled when asked ({@code -Dbench.profile=cpu}:
   * target/bench-work/profile-grants.*).
   */
  static void grantsPerSecond(LocalCluster cluster) throws Exception {
    warm(cluster);
    Path work = Path.of("target", "bench-work").toAbsolutePath();
    SiteProfiler profiler = SiteProfiler.ofThisProcess(work);
    if (profiler != null) {
      profiler.resume();
    }
    long start = System.nanoTime();
    long[] counts = grantLoad(cluster, "grant-", GRANTS, GRANT_SECONDS);
    double seconds = (System.nanoTime() - start) / 1e9;
    if (profiler != null) {
      profiler.pause();
      profiler.write(work.resolve("profile-grants"));
    }
    System.out.printf(
        "lease grants/s            %.0f  (%d READ grants by %d concurrent callers in %.1f s,"
            + " %d failed)%n",
        counts[0] / seconds, counts[0], 3 * GRANT_THREADS_PER_SITE, seconds, counts[1]);
  }

  /**
   * The grant load in rounds, unmeasured, until the JIT settles ({@link #GRANT_WARMUP_SECONDS}).
   */
  private static void warm(LocalCluster cluster) throws InterruptedException {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    for (int round = 1; round <= GRANT_WARMUP_ROUNDS; round++) {
      long jit0 = jit.getTotalCompilationTime();
      long t0 = System.nanoTime();
      long[] counts =
          grantLoad(cluster, "warm-" + round + "-", Integer.MAX_VALUE, GRANT_WARMUP_SECONDS);
      double wallMillis = (System.nanoTime() - t0) / 1e6;
      double share = (jit.getTotalCompilationTime() - jit0) / wallMillis;
      System.out.printf(
          "  warm-up round %d: %.0f grants/s, JIT at work %.0f %% of the time%n",
          round, counts[0] / (wallMillis / 1e3), 100 * share);
      if (share <= MixedLoad.SETTLED) {
        return;
      }
    }
    System.out.printf(
        "  warm-up: the JIT had not settled after %d rounds; measuring anyway%n",
        GRANT_WARMUP_ROUNDS);
  }

  /**
   * {@link #GRANT_THREADS_PER_SITE} callers at each site take READ on fresh elements until {@code
   * limit} grants or {@code limitSeconds}; returns the grants and the failures.
   */
  private static long[] grantLoad(LocalCluster cluster, String name, int limit, long limitSeconds)
      throws InterruptedException {
    AtomicLong granted = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    int threads = 3 * GRANT_THREADS_PER_SITE;
    CountDownLatch done = new CountDownLatch(threads);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(limitSeconds);
    for (int t = 0; t < threads; t++) {
      Leases leases = cluster.site(t % 3).leases();
      String prefix = name + t + "-";
      Thread.ofVirtual()
          .start(() -> {
            try {
              for (int n = 0; granted.get() < limit && System.nanoTime() - deadline < 0; n++) {
                try {
                  leases.acquireRead("bench", prefix + n);
                  granted.incrementAndGet();
                } catch (RuntimeException e) {
                  failed.incrementAndGet();
                }
              }
            } finally {
              done.countDown();
            }
          });
    }
    if (!done.await(limitSeconds + 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the grant callers did not stop within 30 s of the limit");
    }
    return new long[] {granted.get(), failed.get()};
  }

  /** One caller, fresh elements: the latency of a cold READ grant. */
  static void coldReads(LocalCluster cluster) {
    Leases leases = cluster.site(0).leases();
    Latencies latencies = new Latencies();
    for (int i = 0; i < COLD_READS; i++) {
      long t0 = System.nanoTime();
      leases.acquireRead("bench", "cold-" + i);
      latencies.add(System.nanoTime() - t0);
    }
    System.out.printf("READ grant, cold          %s%n", latencies.summary());
  }

  /** Sites 1 and 2 hold READ; site 0 asks WRITE, which recalls both first. */
  static void writesRecallingTwoReaders(LocalCluster cluster) {
    Leases writer = cluster.site(0).leases();
    Latencies latencies = new Latencies();
    for (int i = 0; i < WRITES; i++) {
      String key = "write-" + i;
      cluster.site(1).leases().acquireRead("bench", key);
      cluster.site(2).leases().acquireRead("bench", key);
      long t0 = System.nanoTime();
      WriteLease lease = writer.acquireWrite("bench", key);
      latencies.add(System.nanoTime() - t0);
      writer.commit(lease, null);
      if (cluster.site(1).leases().held("bench", key) != null) {
        throw new IllegalStateException("a recalled READ lease is still held at site 1");
      }
    }
    System.out.printf("WRITE grant, 2 recalls    %s%n", latencies.summary());
  }

  /** Sequential GETs of a cached 4 KiB object at a site that did not write it. */
  static Latencies hits(String originCheck) {
    try (LocalCluster cluster =
            LocalCluster.builder()
                .sites(3)
                .coordinators(3)
                .origin(OriginKind.S3PROXY)
                .originCheck(originCheck)
                .start();
        S3Client writer = cluster.client(0);
        S3Client reader = cluster.client(1)) {
      writer.createBucket(b -> b.bucket("bench"));
      writer.putObject(p -> p.bucket("bench").key("hot"), RequestBody.fromBytes(new byte[4096]));
      for (int i = 0; i < WARMUP; i++) {
        reader.getObjectAsBytes(g -> g.bucket("bench").key("hot"));
      }
      Latencies latencies = new Latencies();
      for (int i = 0; i < GETS; i++) {
        long t0 = System.nanoTime();
        byte[] bytes = reader.getObjectAsBytes(g -> g.bucket("bench").key("hot")).asByteArray();
        latencies.add(System.nanoTime() - t0);
        if (bytes.length != 4096) {
          throw new IllegalStateException("read " + bytes.length + " bytes");
        }
      }
      return latencies;
    }
  }
}
