package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.protocol.BindBucket;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.ExpireSession;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.PeerAddress;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.RenewRequest;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.protocol.StatusRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
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
  private final LonePeer lone = new LonePeer();

  @AfterEach
  void close() {
    lone.close();
  }

  @Test
  void aSiteSendsItsCommandsAsTheyAreAndNoneOfTheLeadersOwn(@TempDir Path dir) throws Exception {
    CoordinatorSettings settings = LonePeer.settings(dir, Duration.ofSeconds(10), 0.01, false);
    try (CoordinatorPeer peer = CoordinatorPeer.start(settings)) {
      CoordinatorGrpc.CoordinatorBlockingStub stub = lone.stub(peer);
      long session = LonePeer.register(stub, "site");
      // Session ids are the leader's random draws, not a count another caller could guess.
      long other = LonePeer.register(stub, "other-site");
      long third = LonePeer.register(stub, "third-site");
      assertThat(java.util.List.of(session, other, third))
          .doesNotHaveDuplicates()
          .allSatisfy(id -> assertThat(id).isGreaterThan(1L << 32));
      assertThat(Math.abs(other - session)).isGreaterThan(1L << 32);

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
      assertThat(stub.status(StatusRequest.getDefaultInstance()).getSessions()).isEqualTo(3);
    }
  }

  private static SiteReply call(CoordinatorGrpc.CoordinatorBlockingStub stub, SiteRequest r) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS).call(r);
  }
}
