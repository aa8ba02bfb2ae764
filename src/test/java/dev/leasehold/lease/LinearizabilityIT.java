package dev.leasehold.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.Linearizability;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Workload;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Strict consistency across sites, checked: randomized concurrent puts, gets and deletes at three
 * sites on a few keys, recorded and checked for per-key linearizability — with no fault, and while
 * a site is killed, a site is cut off from the coordinator, and the coordinator's leader is killed.
 */
class LinearizabilityIT {
  static final Duration TTL = Duration.ofSeconds(2);
  static final Workload.Settings SETTINGS =
      new Workload.Settings(
          3, 2, 40, Duration.ofSeconds(60), Long.getLong("leasehold.seed", 20261124L));

  static void assertLinearizable(Workload.Result result) {
    Linearizability.Verdict verdict = Linearizability.check(result.history());
    assertThat(verdict.linearizable())
        .as("history of key %s (seed %d):\n%s", verdict.key(), SETTINGS.seed(), verdict.history())
        .isTrue();
    // Not vacuous: most operations went through, and reads saw values.
    assertThat(result.succeeded()).isGreaterThan(result.history().size() / 2);
    assertThat(result.readsWithValues()).isGreaterThan(5);
  }

  @Test
  void withoutFaults() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).ttl(TTL).start()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      assertLinearizable(Workload.run(cluster, bucket, SETTINGS, null));
    }
  }

  @Test
  void whileASiteIsKilled() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).ttl(TTL).start()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      Workload.Result result = Workload.run(cluster, bucket, SETTINGS, () -> cluster.kill(2));
      assertThat(cluster.isUp(2)).isFalse();
      assertLinearizable(result);
    }
  }

  @Test
  void whileASiteIsCutOffFromTheCoordinator() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).ttl(TTL).start()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      Workload.Result result =
          Workload.run(
              cluster,
              bucket,
              SETTINGS,
              () -> {
                cluster.link(1).cut(true);
                sleep(TTL.multipliedBy(2).toMillis());
                cluster.link(1).cut(false);
              });
      assertLinearizable(result);
      assertThat(result.failed()).isPositive(); // the cut-off site did refuse some operations
    }
  }

  @Test
  void whileTheCoordinatorLeaderIsKilled() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).coordinators(3).ttl(TTL).start()) {
      String bucket;
      try (var s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
      }
      int leader = cluster.leader();
      Workload.Result result =
          Workload.run(cluster, bucket, SETTINGS, () -> cluster.killCoordinator(leader));
      assertThat(cluster.coordinators().get(leader)).isNull();
      assertThat(cluster.leader()).isNotEqualTo(leader);
      assertLinearizable(result);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
