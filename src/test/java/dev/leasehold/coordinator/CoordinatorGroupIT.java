package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.lease.Leases;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.protocol.StatusRequest;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A three-peer coordinator group: a new leader honours every lease it knows (PROTOCOL.md, Sessions
 * 4), a follower redirects sites to the leader, and a restarted peer catches up.
 */
class CoordinatorGroupIT {
  static final Duration TTL = Duration.ofSeconds(3);

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

      int leader = cluster.leader();
      cluster.killCoordinator(leader);
      assertThat(cluster.leader()).isNotEqualTo(leader);

      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("new"));
      // B's lease was recalled by the new leader (not waited out: B's session never lapsed).
      assertThat(bLeases.held(bucket, "k")).isNull();
      assertThat(bLeases.valid()).isTrue();
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
      StatusReply fromFollower = status(cluster.coordinators().get(follower).clientAddress());
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
      assertThat(status(restarted).getSessions()).isEqualTo(1);
    }
  }

  static StatusReply status(String address) {
    ManagedChannel channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      return CoordinatorGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .status(StatusRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }
}
