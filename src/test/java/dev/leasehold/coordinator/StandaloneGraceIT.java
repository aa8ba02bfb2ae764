package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.AcquireRequest;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lone {@code leasehold coordinator} whose lease table is new grants nothing for {@code
 * ttl·(1+drift)} after it starts, so that leases an earlier life of it granted (its log lost) have
 * lapsed first (docs/consistency.md, "the coordinator's log is lost"); started again on its log, it
 * grants at once.
 */
class StandaloneGraceIT {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final double DRIFT = 0.01;

  @Test
  void aNewStandalonePeerWaitsOutOldLeasesAndARestartedOneDoesNot(@TempDir Path dir)
      throws Exception {
    CoordinatorSettings settings = LonePeer.settings(dir, TTL, DRIFT, true);
    long started = System.nanoTime();
    Duration grace = Duration.ofNanos((long) (TTL.toNanos() * (1 + DRIFT)));
    try (CoordinatorPeer peer = CoordinatorPeer.start(settings)) {
      CoordinatorGrpc.CoordinatorBlockingStub stub = stub(peer);
      long session = register(stub);
      assertThat(acquire(stub, session).getOutcome())
          .as("a READ asked right after a fresh start")
          .isEqualTo(Outcome.STARTING);
      SiteReply granted;
      while ((granted = acquire(stub, session)).getOutcome() == Outcome.STARTING) {
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .as("still refusing well past the grace")
            .isLessThan(grace.plusSeconds(10));
        Thread.sleep(50);
      }
      assertThat(granted.getOutcome()).isEqualTo(Outcome.OK);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("granted only once ttl·(1+drift) had passed")
          .isGreaterThanOrEqualTo(grace);
    }

    // On its log, the table is not new: nothing to wait out.
    try (CoordinatorPeer peer = CoordinatorPeer.start(settings)) {
      CoordinatorGrpc.CoordinatorBlockingStub stub = stub(peer);
      long session = register(stub);
      assertThat(acquire(stub, session).getOutcome()).isEqualTo(Outcome.OK);
    }
  }

  private final LonePeer lone = new LonePeer();

  @org.junit.jupiter.api.AfterEach
  void closeChannels() {
    lone.close();
  }

  private CoordinatorGrpc.CoordinatorBlockingStub stub(CoordinatorPeer peer) {
    return lone.stub(peer);
  }

  private static long register(CoordinatorGrpc.CoordinatorBlockingStub stub)
      throws InterruptedException {
    return LonePeer.register(stub, "grace");
  }

  private static SiteReply acquire(CoordinatorGrpc.CoordinatorBlockingStub stub, long session) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
        .call(
            SiteRequest.newBuilder()
                .setAcquire(
                    AcquireRequest.newBuilder()
                        .setSession(session)
                        .setElement(Element.newBuilder().setBucket("b").setKey("k"))
                        .setMode(Mode.READ))
                .build());
  }
}
