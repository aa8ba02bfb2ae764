package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Ports;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto.AppendResult;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftGroupIdProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.StateMachineEntryProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.proto.RaftProtos.TermIndexProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a follower writes when the leader sends it two requests from the same index back to back,
 * the second longer (a leader does this when it resends after an INCONSISTENCY reply while its
 * earlier requests are still in flight): with the Raft properties every coordinator peer uses
 * ({@link CoordinatorPeer#raftProperties}), it writes every entry it acknowledges.
 *
 * <p>The second test pins down the Ratis 3.3.0 bug that setting avoids, so that the day a Ratis
 * release fixes it this test fails and says the workaround can go: with Ratis's default "composed"
 * append the follower acknowledges the longer request and writes only the shorter one.
 */
class FollowerAppendIT {
  private static final RaftGroupId GROUP = RaftGroupId.randomId();
  private static final RaftPeerId FOLLOWER = RaftPeerId.valueOf("f");

  /** A leader that never runs: the test speaks for it. */
  private static final RaftPeerId LEADER = RaftPeerId.valueOf("l");

  private static final long TERM = 7;
  private static final ClientId CLIENT = ClientId.randomId();

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void withLeaseholdsPropertiesAFollowerWritesEveryEntryItAcknowledges(@TempDir Path dir)
      throws Exception {
    HeldWrites writes = new HeldWrites();
    try (RaftServer follower = startFollower(dir, writes, props -> {})) {
      Appended result = appendOverlapping(follower, writes);
      assertThat(result.second().getResult()).isEqualTo(AppendResult.SUCCESS);
      assertThat(result.second().getMatchIndex()).isEqualTo(15);
      assertThat(result.lastIndex()).isEqualTo(15);
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void ratisDefaultComposedAppendAcknowledgesEntriesItNeverWrote(@TempDir Path dir)
      throws Exception {
    HeldWrites writes = new HeldWrites();
    try (RaftServer follower =
        startFollower(
            dir,
            writes,
            props -> RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(props, true))) {
      Appended result = appendOverlapping(follower, writes);
      assertThat(result.second().getResult()).isEqualTo(AppendResult.SUCCESS);
      assertThat(result.second().getMatchIndex()).isEqualTo(15);
      assertThat(result.lastIndex())
          .as("the follower's last entry after acknowledging 15 (the Ratis bug; see the class doc)")
          .isEqualTo(12);
    }
  }

  /** What the second of the overlapping requests was answered, and the follower's last index. */
  private record Appended(AppendEntriesReplyProto second, long lastIndex) {}

  /**
   * Entries 0-9, then 10-12 and 10-15 (both after entry 9): the second arrives while the first is
   * still being written, which the state machine holds up until both have arrived.
   */
  private static Appended appendOverlapping(RaftServer follower, HeldWrites writes)
      throws Exception {
    AppendEntriesReplyProto first = follower.appendEntriesAsync(request(1, -1, 0, 9, false)).get();
    assertThat(first.getResult()).isEqualTo(AppendResult.SUCCESS);
    CompletableFuture<AppendEntriesReplyProto> shorter =
        follower.appendEntriesAsync(request(2, 9, 10, 12, true));
    CompletableFuture<AppendEntriesReplyProto> longer =
        follower.appendEntriesAsync(request(3, 9, 10, 15, true));
    assertThat(shorter).isNotDone();
    writes.release();
    assertThat(shorter.get(30, TimeUnit.SECONDS).getResult()).isEqualTo(AppendResult.SUCCESS);
    AppendEntriesReplyProto second = longer.get(30, TimeUnit.SECONDS);
    long last = follower.getDivision(GROUP).getRaftLog().getLastEntryTermIndex().getIndex();
    return new Appended(second, last);
  }

  /**
   * A state machine whose writes of entries' own data wait until {@link #release}: the log writes
   * such an entry only once its data is written (Ratis syncs state machine data by default).
   */
  private static final class HeldWrites extends BaseStateMachine {
    private final CompletableFuture<Void> gate = new CompletableFuture<>();

    void release() {
      gate.complete(null);
    }

    @Override
    public DataApi data() {
      return new DataApi() {
        @Override
        public CompletableFuture<?> write(LogEntryProto entry) {
          return gate;
        }
      };
    }
  }

  private static RaftServer startFollower(
      Path dir, HeldWrites stateMachine, java.util.function.Consumer<RaftProperties> change)
      throws Exception {
    try (Ports ports = Ports.reserve(2)) {
      RaftProperties props =
          CoordinatorPeer.raftProperties(dir.resolve("f"), "127.0.0.1", ports.get(0));
      // No election of its own while the test speaks for the leader.
      RaftServerConfigKeys.Rpc.setTimeoutMin(
          props, org.apache.ratis.util.TimeDuration.valueOf(30, TimeUnit.SECONDS));
      RaftServerConfigKeys.Rpc.setTimeoutMax(
          props, org.apache.ratis.util.TimeDuration.valueOf(40, TimeUnit.SECONDS));
      change.accept(props);
      RaftGroup group =
          RaftGroup.valueOf(
              GROUP,
              List.of(
                  RaftPeer.newBuilder()
                      .setId(FOLLOWER)
                      .setAddress("127.0.0.1:" + ports.get(0))
                      .build(),
                  RaftPeer.newBuilder()
                      .setId(LEADER)
                      .setAddress("127.0.0.1:" + ports.get(1))
                      .build()));
      ports.release();
      RaftServer server =
          RaftServer.newBuilder()
              .setServerId(FOLLOWER)
              .setGroup(group)
              .setProperties(props)
              .setStateMachine(stateMachine)
              .setOption(RaftStorage.StartupOption.FORMAT)
              .build();
      server.start();
      return server;
    }
  }

  /**
   * An AppendEntries from the leader: entries {@code from..to} after entry {@code previous}, with
   * state machine data if {@code held} (so that their write waits for {@link HeldWrites}).
   */
  private static AppendEntriesRequestProto request(
      long callId, long previous, long from, long to, boolean held) {
    AppendEntriesRequestProto.Builder b =
        AppendEntriesRequestProto.newBuilder()
            .setServerRequest(
                RaftRpcRequestProto.newBuilder()
                    .setRequestorId(LEADER.toByteString())
                    .setReplyId(FOLLOWER.toByteString())
                    .setRaftGroupId(RaftGroupIdProto.newBuilder().setId(GROUP.toByteString()))
                    .setCallId(callId))
            .setLeaderTerm(TERM)
            .setLeaderCommit(0);
    if (previous >= 0) {
      b.setPreviousLog(TermIndexProto.newBuilder().setTerm(TERM).setIndex(previous));
    }
    for (long i = from; i <= to; i++) {
      StateMachineLogEntryProto.Builder entry =
          StateMachineLogEntryProto.newBuilder()
              .setClientId(CLIENT.toByteString())
              .setCallId(i)
              .setLogData(ByteString.copyFromUtf8("entry " + i));
      if (held) {
        entry.setStateMachineEntry(
            StateMachineEntryProto.newBuilder()
                .setStateMachineData(ByteString.copyFromUtf8("data " + i)));
      }
      b.addEntries(
          LogEntryProto.newBuilder().setTerm(TERM).setIndex(i).setStateMachineLogEntry(entry));
    }
    return b.build();
  }
}
