package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.protocol.BindBucket;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.ExpireSession;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.PeerAddress;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.RenewRequest;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.protocol.StatusRequest;
import dev.leasehold.testkit.Ports;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one call a site makes (docs/design.md, One call path), against a real peer: a command of the
 * kinds a site may send goes through the log as it is and is answered with its result; a command
 * only the leader may make (expiring a session, announcing a peer, registering with a chosen peer
 * secret) is refused with INVALID_ARGUMENT and changes nothing.
 */
class SiteCallIT {
  private ManagedChannel channel;

  @AfterEach
  void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  @Test
  void aSiteSendsItsCommandsAsTheyAreAndNoneOfTheLeadersOwn(@TempDir Path dir) throws Exception {
    int raftPort;
    try (Ports ports = Ports.reserve(1)) {
      raftPort = ports.get(0);
    }
    CoordinatorSettings settings =
        new CoordinatorSettings(
            "c1",
            dir.resolve("c1"),
            "127.0.0.1",
            0,
            raftPort,
            Map.of("c1", "127.0.0.1:" + raftPort),
            Duration.ofSeconds(10),
            0.01,
            false);
    try (CoordinatorPeer peer = CoordinatorPeer.start(settings)) {
      channel = NettyChannelBuilder.forTarget(peer.clientAddress()).usePlaintext().build();
      CoordinatorGrpc.CoordinatorBlockingStub stub = CoordinatorGrpc.newBlockingStub(channel);
      long session = register(stub);

      SiteReply bound =
          call(
              stub,
              SiteRequest.newBuilder()
                  .setCommand(
                      Command.newBuilder()
                          .setBindBucket(
                              BindBucket.newBuilder().setBucket("photos").setOrigin("file:///o/")))
                  .build());
      assertThat(bound.getOutcome()).isEqualTo(Outcome.OK);
      assertThat(bound.getResult().getOrigin()).isEqualTo("file:///o/");

      for (Command leaders :
          new Command[] {
            Command.newBuilder()
                .setExpire(ExpireSession.newBuilder().setSession(session).setRenewalsSeen(0))
                .build(),
            Command.newBuilder()
                .setPeerAddress(PeerAddress.newBuilder().setPeer("c9").setClientAddress("x:1"))
                .build(),
            Command.newBuilder()
                .setRegister(RegisterSession.newBuilder().setSite("s").setPeerSecret("chosen"))
                .build()
          }) {
        assertThatThrownBy(() -> call(stub, SiteRequest.newBuilder().setCommand(leaders).build()))
            .as(leaders.getCommandCase().name())
            .isInstanceOf(StatusRuntimeException.class)
            .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
            .isEqualTo(Status.Code.INVALID_ARGUMENT);
      }
      assertThatThrownBy(() -> call(stub, SiteRequest.getDefaultInstance()))
          .isInstanceOf(StatusRuntimeException.class)
          .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
          .isEqualTo(Status.Code.INVALID_ARGUMENT);

      // The session the refused expiry named lives on.
      SiteReply renewed =
          call(
              stub,
              SiteRequest.newBuilder()
                  .setRenew(RenewRequest.newBuilder().setSession(session))
                  .build());
      assertThat(renewed.getOutcome()).isEqualTo(Outcome.OK);
      assertThat(stub.status(StatusRequest.getDefaultInstance()).getSessions()).isEqualTo(1);
    }
  }

  private static SiteReply call(CoordinatorGrpc.CoordinatorBlockingStub stub, SiteRequest r) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS).call(r);
  }

  /** Registers a session, retrying while the lone peer elects itself (up to 30 s). */
  private static long register(CoordinatorGrpc.CoordinatorBlockingStub stub)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        SiteReply reply =
            call(
                stub,
                SiteRequest.newBuilder()
                    .setRegister(RegisterRequest.newBuilder().setSite("site"))
                    .build());
        if (reply.getOutcome() == Outcome.OK) {
          return reply.getRegister().getSession();
        }
      } catch (StatusRuntimeException e) {
        // not leading yet
      }
      assertThat(System.nanoTime() - deadline).as("registered within 30 s").isNegative();
      Thread.sleep(50);
    }
  }
}
