package dev.leasehold.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.Faults;
import dev.leasehold.testkit.Linearizability;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.Scrape;
import dev.leasehold.testkit.Workload;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Strict consistency across sites, checked: randomized concurrent puts, gets and deletes at three
 * sites on a few keys, recorded and checked for per-key linearizability, with no fault, while a
 * site is cut off from the coordinator, while a site is stopped, and while the coordinator's leader
 * is stopped, each fault run several times with its own seed, and with every site far (100 ms) from
 * the coordinator. Each fault is checked to have happened (the link dropped the site's calls and
 * its session lapsed; the site or the peer was down) and ends healed, and every run ends with a
 * read of every key at every site, which joins the history. Every link is mutual TLS of a namespace
 * authority (the coordinator's client and Raft ports, the peer ports), as across hosts. Sites and
 * peers killed as processes (SIGKILL) are {@link CrashLinearizabilityIT}'s.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class LinearizabilityIT {
  static final Duration TTL = Duration.ofSeconds(2);

  /** Runs per fault in the test command; {@code bench/run.sh soak} runs many more. */
  static final int RUNS = Integer.getInteger("leasehold.linearizability.runs", 2);

  static Workload.Settings settings() {
    return new Workload.Settings(3, 2, 40, Duration.ofSeconds(60), Workload.seed());
  }

  /** One run in a fresh bucket, its final reads, and the check. */
  static Workload.Result runAndCheck(LocalCluster cluster, Runnable fault)
      throws InterruptedException {
    String bucket;
    try (var s3 = cluster.client(0)) {
      bucket = Data.bucket(s3);
    }
    Workload.Settings settings = settings();
    Workload.Result result = Workload.run(cluster, bucket, settings, fault);
    List<Linearizability.Op> reads = Workload.finalReads(cluster, bucket, settings.keys(), 1000);
    Workload.assertLinearizable(result, reads);
    return result;
  }

  @Test
  void withoutFaults() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).ttl(TTL).secure().start()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      Workload.Settings settings = settings();
      Workload.Result result = Workload.run(cluster, bucket, settings, null);
      Workload.assertLinearizable(
          result, Workload.finalReads(cluster, bucket, settings.keys(), 1000));
      // Writes did run beside the recalls of readers elsewhere (docs/protocol.md, Writes).
      long overlapped = 0;
      for (int i = 0; i < cluster.size(); i++) {
        overlapped += cluster.site(i).leases().writesOverlapped();
      }
      assertThat(overlapped).as("writes overlapped with recalls").isPositive();
    }
  }

  /**
   * Hot reads (docs/design.md, Hits on the event loop; The memory tier): mostly GETs of two keys,
   * so a site reads versions it has read before, and answers them on its event loop from memory,
   * while the other sites write new versions and recall its leases. Three runs, each with its own
   * seed; the sites' metrics show those paths were taken.
   */
  @Test
  void withHotReadsFromMemoryOnTheEventLoop() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).ttl(TTL).secure().start()) {
      for (int run = 0; run < 3; run++) {
        String bucket;
        try (var s3 = cluster.client(0)) {
          bucket = Data.bucket(s3);
        }
        Workload.Settings settings =
            new Workload.Settings(2, 2, 80, Duration.ofSeconds(60), Workload.seed(), 85);
        Workload.Result result = Workload.run(cluster, bucket, settings, null);
        Workload.assertLinearizable(
            result, Workload.finalReads(cluster, bucket, settings.keys(), 1000));
      }
      double fromMemory = 0;
      double onEventLoop = 0;
      for (int i = 0; i < cluster.size(); i++) {
        Scrape m = Scrape.of(cluster.site(i).adminEndpoint());
        fromMemory += m.value("leasehold_cache_memory_hits_total");
        onEventLoop += m.value("leasehold_s3_event_loop_requests_total", "outcome", "served");
      }
      System.out.printf(
          "hot reads: %.0f chunk reads from memory, %.0f requests answered on the event loop%n",
          fromMemory, onEventLoop);
      assertThat(fromMemory).as("reads answered from memory").isPositive();
      assertThat(onEventLoop).as("reads answered on the event loop").isPositive();
    }
  }

  @Test
  void whileASiteIsCutOffFromTheCoordinator() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).ttl(TTL).secure().start()) {
      for (int run = 0; run < RUNS; run++) {
        Workload.Result result = runAndCheck(cluster, Faults.cutOff(cluster, 1, TTL));
        // Cut off, site 1 refused what needed a lease, with 503: once past its deadline at
        // once, and before it a write that found no leader within 5 s.
        List<Workload.Failure> refused =
            result.failuresAt(1, result.faultStart(), result.faultEnd());
        assertThat(refused)
            .as("site 1's refusals during the cut (seed %d)", result.seed())
            .isNotEmpty();
        assertThat(refused).allSatisfy(f -> assertThat(f.status()).isEqualTo(503));
      }
    }
  }

  @Test
  void whileASiteIsStopped() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).ttl(TTL).secure().start()) {
      for (int run = 0; run < RUNS; run++) {
        runAndCheck(cluster, Faults.stopSite(cluster, 2, TTL));
        assertThat(cluster.isUp(2)).as("site 2 is back").isTrue();
      }
    }
  }

  @Test
  void whileTheCoordinatorLeaderIsStopped() throws Exception {
    try (LocalCluster cluster =
        LocalCluster.builder().sites(3).coordinators(3).ttl(TTL).secure().start()) {
      for (int run = 0; run < RUNS; run++) {
        runAndCheck(cluster, Faults.stopLeader(cluster));
        assertThat(cluster.coordinators()).as("every peer runs again").doesNotContainNull();
      }
    }
  }

  /**
   * Every site 100 ms (a round trip) from the coordinator, through the project's relay: grants,
   * commits behind the answer, recalls and renewals all take that long, so every window the
   * protocol leaves open is wide. Write-through, then write-back (redirect policy adaptive). The
   * distance is checked to have been there, and taken away before the final reads.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"write-through", "write-back"})
  void withEverySiteFarFromTheCoordinator(String mode) throws Exception {
    Duration oneWay = Duration.ofMillis(50);
    try (LocalCluster cluster =
        LocalCluster.builder()
            .sites(3)
            .ttl(TTL)
            .origin(OriginKind.S3PROXY)
            .relayed()
            .secure()
            .start()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      if (mode.equals("write-back")) {
        cluster.site(0).leases().admin().setWriteMode(bucket, true, "adaptive");
        try (var s3 = cluster.client(0)) {
          // In effect once every session has heard (docs/protocol.md, Listing): a write owns.
          Awaitility.await()
              .atMost(Duration.ofSeconds(20))
              .pollInterval(Duration.ofMillis(100))
              .until(() -> {
                s3.putObject(
                    p -> p.bucket(bucket).key("probe"),
                    software.amazon.awssdk.core.sync.RequestBody.fromString("p"));
                return cluster.site(0).leases().owned(bucket, "probe") != null;
              });
        }
      }
      for (int i = 0; i < cluster.size(); i++) {
        cluster.distance(i, oneWay);
      }
      // The distance is there: a grant for a key nobody holds takes a round trip at least.
      try (var s3 = cluster.client(0)) {
        long started = System.nanoTime();
        assertThatThrownBy(() -> s3.headObject(h -> h.bucket(bucket).key("absent")))
            .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .isGreaterThanOrEqualTo(oneWay.multipliedBy(2));
      }
      Workload.Settings settings = settings();
      Workload.Result result = Workload.run(cluster, bucket, settings, null);
      // Far is slow, not broken: with no fault, every operation succeeds and reads see values.
      assertThat(result.failures()).as("failures (seed %d)", result.seed()).isEmpty();
      assertThat(result.readsWithValues()).isPositive();
      for (int i = 0; i < cluster.size(); i++) {
        assertThat(cluster.coordinatorRelays(i).get(0).bytesRelayed()).isPositive();
        cluster.distance(i, Duration.ZERO);
      }
      Workload.assertLinearizable(
          result, Workload.finalReads(cluster, bucket, settings.keys(), 1000));
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
