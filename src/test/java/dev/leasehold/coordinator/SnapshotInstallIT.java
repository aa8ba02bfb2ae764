package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.RenewRequest;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.testkit.Await;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower that comes back after the leader has put what it missed into a snapshot and dropped it
 * from its log gets the whole snapshot from the leader (Raft's InstallSnapshot), loads it, and goes
 * on as a working member of the group. Before the state machine took part in Ratis's pause and
 * reload, such a follower's Raft server stopped itself while its process ran on; two of them in a
 * rolling restart left the group without a majority for good.
 *
 * <p>The peers here snapshot every 200 entries and keep no log behind a snapshot, so the leader has
 * to send one within seconds; with Leasehold's own settings (10,000 entries, logs trimmed only to
 * what every peer has) the same happens later, when leadership moves during a restart, as {@link
 * RollingRestartIT} does it.
 */
class SnapshotInstallIT {
  private static final Duration TTL = Duration.ofSeconds(10);

  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aFollowerBehindTheLeadersSnapshotInstallsItAndStaysAMember(@TempDir Path dir)
      throws Exception {
    try (PeerGroup group =
        PeerGroup.start(
            dir,
            3,
            TTL,
            props -> {
              RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, 200);
              RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
              RaftServerConfigKeys.Log.setPurgeGap(props, 1);
              RaftServerConfigKeys.Log.setSegmentSizeMax(props, SizeInBytes.valueOf("16KB"));
            })) {
      int leader = group.awaitLeader(Duration.ofSeconds(30));
      int behind = (leader + 1) % 3;
      int third = (leader + 2) % 3;
      long behindLast = group.peer(behind).appliedIndex();
      group.stop(behind);

      // Commands until the leader's log no longer holds the entry after the stopped one's last.
      CoordinatorGrpc.CoordinatorBlockingStub stub = stub(group.peer(leader));
      long session = register(stub);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> loadFailure = new AtomicReference<>();
      List<Thread> load = renewInLoops(stub, session, stop, loadFailure, 8);
      try {
        Await.until(
            () -> logStart(group.peer(leader)) > behindLast + 1,
            Duration.ofSeconds(60),
            "the leader's log to start after the stopped follower's last entry");
      } finally {
        stop.set(true);
        for (Thread t : load) {
          t.join();
        }
      }
      assertThat(loadFailure.get()).isNull();
      long leaderCommitted = group.peer(leader).commitIndex();

      group.start(behind);
      Await.until(
          () -> group.peer(behind).appliedIndex() >= leaderCommitted,
          Duration.ofSeconds(60),
          "the returning follower to apply what the leader had committed");
      assertThat(group.peer(behind).raftAlive())
          .as("the returning follower's Raft server")
          .isTrue();
      assertThat(group.peer(behind).logStartIndex())
          .as("it got a snapshot: its log starts after its last entry before it stopped")
          .isGreaterThan(behindLast + 1);

      // A working member: with the third peer stopped, the leader and it still commit together.
      group.stop(third);
      assertThat(renewAtLeader(group, session).getOutcome()).isEqualTo(Outcome.OK);
      assertThat(group.peer(behind).raftAlive()).isTrue();
    }
  }

  private CoordinatorGrpc.CoordinatorBlockingStub stub(CoordinatorPeer peer) {
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(peer.clientAddress()).usePlaintext().build();
    channels.add(channel);
    return CoordinatorGrpc.newBlockingStub(channel);
  }

  private static long register(CoordinatorGrpc.CoordinatorBlockingStub stub) {
    SiteReply reply =
        stub.withDeadlineAfter(10, TimeUnit.SECONDS)
            .call(
                SiteRequest.newBuilder()
                    .setRegister(RegisterRequest.newBuilder().setSite("load"))
                    .build());
    assertThat(reply.getOutcome()).isEqualTo(Outcome.OK);
    return reply.getRegister().getSession();
  }

  /** Renews {@code session} from {@code n} threads until {@code stop}: one Raft entry each. */
  private static List<Thread> renewInLoops(
      CoordinatorGrpc.CoordinatorBlockingStub stub,
      long session,
      AtomicBoolean stop,
      AtomicReference<Throwable> failure,
      int n) {
    List<Thread> threads = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    for (int i = 0; i < n; i++) {
      threads.add(
          Thread.ofVirtual()
              .start(() -> {
                try {
                  while (!stop.get() && System.nanoTime() - deadline < 0) {
                    SiteReply r =
                        stub.withDeadlineAfter(10, TimeUnit.SECONDS).call(renewal(session));
                    assertThat(r.getOutcome()).isEqualTo(Outcome.OK);
                  }
                } catch (Throwable t) {
                  failure.compareAndSet(null, t);
                }
              }));
    }
    return threads;
  }

  /** Renews at whichever peer leads now, retrying while the group elects (up to 30 s). */
  private static SiteRequest renewal(long session) {
    return SiteRequest.newBuilder().setRenew(RenewRequest.newBuilder().setSession(session)).build();
  }

  private SiteReply renewAtLeader(PeerGroup group, long session) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    RuntimeException last = null;
    while (System.nanoTime() - deadline < 0) {
      int leader = group.awaitLeader(Duration.ofSeconds(30));
      try {
        SiteReply r =
            stub(group.peer(leader)).withDeadlineAfter(5, TimeUnit.SECONDS).call(renewal(session));
        if (r.getOutcome() != Outcome.NOT_LEADER) {
          return r;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no renewal went through within 30 s", last);
  }

  private static long logStart(CoordinatorPeer peer) {
    try {
      return peer.logStartIndex();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
