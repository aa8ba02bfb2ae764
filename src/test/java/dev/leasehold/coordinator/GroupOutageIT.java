package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.PeerAddress;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A majority of the peers down for longer than a command's retries last, then back: the command
 * sent meanwhile fails, and once the group has a leader again the same client puts commands
 * through. With Ratis's ordered async client, the first command to spend its retries failed that
 * client for good, so a peer that lived through such an outage never submitted anything again: the
 * sites it served had no session, and no new site could register, until it was restarted.
 */
class GroupOutageIT {
  private static final Duration TTL = Duration.ofSeconds(10);

  @Test
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aClientThatSpentItsRetriesDuringAnOutageSubmitsOnceTheGroupIsBack(@TempDir Path dir)
      throws Exception {
    try (PeerGroup group = PeerGroup.start(dir, 3, TTL, props -> {});
        Submitter submitter = new Submitter(CoordinatorPeer.raftClient(group.raftGroup()))) {
      group.awaitLeader(Duration.ofSeconds(30));
      assertThat(submitter.submit(announce("before")).getOutcome()).isEqualTo(Outcome.OK);

      // Two of three down: no majority. The command spends its retries and fails.
      group.stop(1);
      group.stop(2);
      long start = System.nanoTime();
      assertThatThrownBy(() -> submitter.submit(announce("during")))
          .isInstanceOf(IOException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("it failed after retrying, not at once")
          .isGreaterThan(Duration.ofSeconds(5));

      group.start(1);
      group.start(2);
      group.awaitLeader(Duration.ofSeconds(30));
      CommandResult after = submitEventually(submitter, announce("after"), Duration.ofSeconds(30));
      assertThat(after.getOutcome()).isEqualTo(Outcome.OK);
    }
  }

  /** A harmless command: peer c1 announces a client address. */
  private static Command announce(String address) {
    return Command.newBuilder()
        .setPeerAddress(PeerAddress.newBuilder().setPeer("c1").setClientAddress(address))
        .build();
  }

  /** Submits until it succeeds, for up to {@code timeout} (the group may still be electing). */
  private static CommandResult submitEventually(
      Submitter submitter, Command command, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() - deadline < 0) {
      try {
        return submitter.submit(command);
      } catch (IOException e) {
        last = e;
        Thread.sleep(200);
      }
    }
    throw new AssertionError("no command went through within " + timeout, last);
  }
}
