package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.AcquireRead;
import dev.leasehold.protocol.Batch;
import dev.leasehold.protocol.BeginWrite;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.RegisterSession;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit on a real 3-peer group: commands submitted at once share log entries, each caller
 * gets its own command's result, and a command the table refuses inside a batch fails alone.
 */
class GroupCommitIT {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final int CALLERS = 200;

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void commandsSubmittedAtOnceShareEntriesAndEachCallerGetsItsOwnResult(@TempDir Path dir)
      throws Exception {
    try (PeerGroup group = PeerGroup.start(dir, 3, TTL, props -> {});
        Submitter submitter = new Submitter(CoordinatorPeer.raftClient(group.raftGroup()))) {
      int leader = group.awaitLeader(Duration.ofSeconds(30));
      long session = register(submitter);
      long before = group.peer(leader).appliedIndex();

      List<Callable<Submitter.Applied>> reads = new ArrayList<>();
      for (int i = 0; i < CALLERS; i++) {
        Command read = acquireRead(session, "k" + i);
        reads.add(() -> submitter.apply(read));
      }
      List<Submitter.Applied> results = new ArrayList<>();
      try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
        for (Future<Submitter.Applied> f : threads.invokeAll(reads)) {
          results.add(f.get());
        }
      }

      Set<Long> grants = new HashSet<>();
      Set<Long> points = new HashSet<>();
      for (Submitter.Applied a : results) {
        assertThat(a.result().getOutcome()).isEqualTo(Outcome.OK);
        grants.add(a.result().getReadGrant());
        points.add(a.point());
      }
      assertThat(grants).as("every caller got its own grant").hasSize(CALLERS);
      // Each command's place in the log, which the waits after it count from, is its own.
      long after = group.peer(leader).appliedIndex();
      assertThat(points).hasSize(CALLERS);
      assertThat(points)
          .allSatisfy(p ->
              assertThat(p)
                  .isGreaterThan(Changes.through(before))
                  .isLessThanOrEqualTo(Changes.through(after)));
      long entries = after - before;
      assertThat(entries)
          .as("%d commands at once took %d log entries", CALLERS, entries)
          .isPositive()
          .isLessThan(CALLERS / 2);
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aCommandTheTableRefusesFailsAloneInItsBatch(@TempDir Path dir) throws Exception {
    try (PeerGroup group = PeerGroup.start(dir, 3, TTL, props -> {});
        Submitter submitter = new Submitter(CoordinatorPeer.raftClient(group.raftGroup()))) {
      group.awaitLeader(Duration.ofSeconds(30));
      long session = register(submitter);
      // A batch within a batch is refused by the table; the commands around it still apply.
      Command batch =
          Command.newBuilder()
              .setBatch(
                  Batch.newBuilder()
                      .addCommands(acquireRead(session, "a"))
                      .addCommands(Command.newBuilder().setBatch(Batch.getDefaultInstance()))
                      .addCommands(acquireRead(session, "b")))
              .build();

      CommandResult r = submitter.submit(batch);

      assertThat(r.getBatchCount()).isEqualTo(3);
      assertThat(r.getBatch(0).getOutcome()).isEqualTo(Outcome.OK);
      assertThat(r.getBatch(0).getError()).isEmpty();
      assertThat(r.getBatch(1).getError()).contains("a batch is its commands");
      assertThat(r.getBatch(2).getOutcome()).isEqualTo(Outcome.OK);
      assertThat(r.getBatch(2).getReadGrant()).isNotEqualTo(r.getBatch(0).getReadGrant());
      // Applied: a WRITE of "a" by another site finds the READ to recall.
      long other = register(submitter, "s2", 4343);
      CommandResult write =
          submitter.submit(
              Command.newBuilder()
                  .setBeginWrite(BeginWrite.newBuilder().setSession(other).setElement(element("a")))
                  .build());
      assertThat(write.getHoldersList()).containsExactly(session);
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void theLeaderSubmitsToItsOwnServerAndAFollowerThroughItsClient(@TempDir Path dir)
      throws Exception {
    try (PeerGroup group = PeerGroup.start(dir, 3, TTL, props -> {})) {
      int leader = group.awaitLeader(Duration.ofSeconds(30));
      int follower = (leader + 1) % 3;
      try (Submitter atLeader = submitterOf(group, leader);
          Submitter atFollower = submitterOf(group, follower)) {
        long session = register(atLeader);
        long direct = atLeader.directSubmissions();

        CommandResult a = atLeader.submit(acquireRead(session, "a"));
        CommandResult b = atFollower.submit(acquireRead(session, "b"));

        assertThat(a.getOutcome()).isEqualTo(Outcome.OK);
        assertThat(b.getOutcome()).isEqualTo(Outcome.OK);
        assertThat(a.getReadGrant()).isNotEqualTo(b.getReadGrant());
        assertThat(atLeader.directSubmissions()).isEqualTo(direct + 1);
        assertThat(atFollower.directSubmissions()).isZero();
        // Both applied to the table: a WRITE of each by another site finds the READ to recall.
        long other = register(atFollower, "s2", 4343);
        for (String key : List.of("a", "b")) {
          CommandResult write =
              atLeader.submit(
                  Command.newBuilder()
                      .setBeginWrite(
                          BeginWrite.newBuilder().setSession(other).setElement(element(key)))
                      .build());
          assertThat(write.getHoldersList()).as(key).containsExactly(session);
        }
      }
    }
  }

  /** A submitter as peer {@code i} runs one: its own server first, its client otherwise. */
  private static Submitter submitterOf(PeerGroup group, int i) {
    return new Submitter(
        CoordinatorPeer.raftClient(group.raftGroup()),
        group.peer(i).raftServer(),
        CoordinatorPeer.GROUP);
  }

  private static long register(Submitter submitter) throws Exception {
    return register(submitter, "s1", 4242);
  }

  private static long register(Submitter submitter, String site, long id) throws Exception {
    CommandResult r =
        submitter.submit(
            Command.newBuilder()
                .setRegister(RegisterSession.newBuilder().setSite(site).setSession(id))
                .build());
    assertThat(r.getOutcome()).isEqualTo(Outcome.OK);
    return r.getSession();
  }

  private static Command acquireRead(long session, String key) {
    return Command.newBuilder()
        .setAcquireRead(AcquireRead.newBuilder().setSession(session).setElement(element(key)))
        .build();
  }

  private static Element element(String key) {
    return Element.newBuilder().setBucket("b").setKey(key).build();
  }
}
