package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.lease.Leases;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.testkit.CoordinatorStatus;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A three-peer coordinator group: a new leader honours every lease it knows (docs/protocol.md,
 * Sessions 4), a follower redirects sites to the leader, and a restarted peer catches up.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CoordinatorGroupIT {
  /**
   * Sessions that outlast an election and the sites' finding the new leader on a busy machine;
   * waiting one out takes longer than this, which is how a recall is told from a wait.
   */
  static final Duration TTL = Duration.ofSeconds(10);

  @Test
  void aNewLeaderRecallsTheLeasesTheOldOneGranted() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(2).coordinators(3).ttl(TTL).start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("old"));
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("old");
      Leases bLeases = cluster.site(1).leases();
      assertThat(bLeases.held(bucket, "k")).isNotNull();
      long bRegistrations = cluster.link(1).calls("Register");

      int leader = cluster.leader();
      long killed = System.nanoTime();
      cluster.killCoordinator(leader);
      assertThat(cluster.leader()).isNotEqualTo(leader);

      putRetrying503(a, bucket, "k", "new");
      Duration took = Duration.ofNanos(System.nanoTime() - killed);
      // B's lease was recalled by the new leader, not waited out: the new leader starts every
      // session's countdown when it takes over, after the kill, so a write that waited for B's
      // session to expire would have taken a whole ttl; and B's session never lapsed.
      assertThat(took).as("from the leader's kill to the write's grant").isLessThan(TTL);
      assertThat(bLeases.held(bucket, "k")).isNull();
      assertThat(bLeases.valid()).isTrue();
      assertThat(cluster.link(1).calls("Register"))
          .as("B's registrations")
          .isEqualTo(bRegistrations);
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("new");
    }
  }

  @Test
  void aFollowerNamesTheLeaderAndARestartedPeerCatchesUp() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).coordinators(3).ttl(TTL).start();
        S3Client a = cluster.client(0)) {
      String bucket = Data.bucket(a);
      int leader = cluster.leader();
      int follower = (leader + 1) % 3;
      CoordinatorPeer leaderPeer = cluster.coordinators().get(leader);
      // A follower learns who leads from the leader's appends: it may not have heard yet.
      StatusReply fromFollower =
          Awaitility.await()
              .atMost(Duration.ofSeconds(10))
              .pollInterval(Duration.ofMillis(50))
              .ignoreException(StatusRuntimeException.class)
              .until(
                  () -> status(cluster.coordinators().get(follower).clientAddress()),
                  r -> !r.getLeaderId().isEmpty());
      assertThat(fromFollower.getLeaderId()).isEqualTo(leaderPeer.id());
      assertThat(fromFollower.getLeaderAddress()).isEqualTo(leaderPeer.clientAddress());

      cluster.killCoordinator(follower);
      for (int i = 0; i < 20; i++) {
        int n = i;
        a.putObject(p -> p.bucket(bucket).key("k" + n), RequestBody.fromString("v" + n));
      }
      long leaderIndex = status(leaderPeer.clientAddress()).getAppliedIndex();
      cluster.restartCoordinator(follower);
      String restarted = cluster.coordinators().get(follower).clientAddress();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (status(restarted).getAppliedIndex() < leaderIndex && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(status(restarted).getAppliedIndex()).isGreaterThanOrEqualTo(leaderIndex);
      // The site's one session, as the restarted peer's log has it.
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(50))
          .untilAsserted(() -> assertThat(status(restarted).getSessions()).isEqualTo(1));
    }
  }

  /** Puts, again while the site answers 503 (it has not found the new leader yet), up to 30 s. */
  private static void putRetrying503(S3Client s3, String bucket, String key, String value)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        s3.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString(value));
        return;
      } catch (S3Exception e) {
        if (e.statusCode() != 503 || System.nanoTime() - deadline > 0) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  static StatusReply status(String address) {
    return CoordinatorStatus.of(address, Duration.ofSeconds(5));
  }
}
