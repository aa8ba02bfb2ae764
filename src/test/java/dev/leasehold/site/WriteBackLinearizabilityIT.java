package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cli.Setting;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Workload;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The linearizability workload of the lease protocol (randomized concurrent puts, gets and deletes
 * at three sites on a few keys, checked per key) on a write-back bucket, under each redirect policy
 * (recall, redirect, adaptive): with no fault, and with the site holding the most acknowledged,
 * unflushed writes killed and started again on its data directory. After the run every site reads
 * every key once more, and those reads join the history: every acknowledged write is readable
 * everywhere, and no read anywhere saw an older version.
 */
@org.junit.jupiter.api.Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
class WriteBackLinearizabilityIT {
  static final Duration TTL = Duration.ofSeconds(2);
  static final Workload.Settings SETTINGS =
      new Workload.Settings(3, 2, 40, Duration.ofSeconds(60), 0);

  static LocalCluster cluster() {
    return LocalCluster.builder()
        .sites(3)
        .ttl(TTL)
        .secure() // mutual TLS on every link, as across hosts
        .set(Setting.FLUSH_DELAY, "2s") // long enough that most writes are read unflushed
        .start();
  }

  static void check(LocalCluster cluster, String bucket, Workload.Result result) {
    Workload.assertLinearizable(
        result, Workload.finalReads(cluster, bucket, SETTINGS.keys(), 1000));
  }

  static Workload.Settings settings() {
    return SETTINGS.withSeed(Workload.seed());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @ParameterizedTest(name = "policy {0}")
  @ValueSource(strings = {"recall", "redirect", "adaptive"})
  void withoutFaults(String policy) throws Exception {
    try (LocalCluster cluster = cluster()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      WriteBackIT.writeBack(cluster, bucket, policy);
      check(cluster, bucket, Workload.run(cluster, bucket, settings(), null));
      assertThat(
              cluster.site(0).leases().ownedNow().size()
                  + cluster.site(1).leases().ownedNow().size()
                  + cluster.site(2).leases().ownedNow().size())
          .as("the run made some site an owner")
          .isPositive();
    }
  }

  @ParameterizedTest(name = "policy {0}")
  @ValueSource(strings = {"recall", "redirect"})
  void withEveryKeyUnderAPrefixLeaseAtTheStart(String policy) throws Exception {
    try (LocalCluster cluster = cluster()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      WriteBackIT.writeBack(cluster, bucket, policy);
      // Site 0 writes every key with no round trip until another site's request recalls it.
      cluster.site(0).leases().acquirePrefix(bucket, "key-");
      check(cluster, bucket, Workload.run(cluster, bucket, settings(), null));
    }
  }

  @ParameterizedTest(name = "policy {0}")
  @ValueSource(strings = {"recall", "redirect", "adaptive"})
  void whileAnOwnerIsKilledWithUnflushedWritesAndRestarted(String policy) throws Exception {
    try (LocalCluster cluster = cluster()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      WriteBackIT.writeBack(cluster, bucket, policy);
      // The fault: kill the site with the most acknowledged, unflushed writes in its journal.
      long[] unflushed = {0};
      int[] killed = {-1};
      Workload.Result result =
          Workload.run(
              cluster,
              bucket,
              settings(),
              () -> {
                int most = 0;
                for (int i = 1; i < cluster.size(); i++) {
                  if (cluster.site(i).journal().count() > cluster.site(most).journal().count()) {
                    most = i;
                  }
                }
                unflushed[0] = cluster.site(most).journal().count();
                killed[0] = most;
                cluster.kill(most);
                // Down past its session: its objects are unavailable elsewhere meanwhile.
                sleep(TTL.multipliedBy(2).toMillis());
                cluster.restart(most);
              });
      assertThat(unflushed[0]).as("the killed site had unflushed writes").isPositive();
      assertThat(cluster.isUp(killed[0])).as("the fault started the killed site again").isTrue();
      check(cluster, bucket, result);
      // The journal recovered its entries and flushed them.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .failFast(() -> false)
          .conditionEvaluationListener(c -> {
            if (c.getRemainingTimeInMS() <= 1000) {
              System.out.println(
                  "journal: "
                      + cluster.site(killed[0]).journal().all()
                      + " owned: "
                      + cluster.site(killed[0]).leases().ownedNow());
            }
          })
          .until(() -> cluster.site(killed[0]).journal().count() == 0);
    }
  }
}
