package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.testkit.Ports;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A test's view of a lone coordinator peer ("c1"), spoken to as a site would, over plain gRPC: its
 * settings, stubs to it, and a registration that waits for it to lead. Closes its channels.
 */
final class LonePeer implements AutoCloseable {
  private final List<ManagedChannel> channels = new ArrayList<>();

  /** Settings for peer c1 under {@code dir}, on a free Raft port and a client port bound at 0. */
  static CoordinatorSettings settings(Path dir, Duration ttl, double drift, boolean standalone) {
    int raftPort;
    try (Ports ports = Ports.reserve(1)) {
      raftPort = ports.get(0);
    }
    return new CoordinatorSettings(
        "c1",
        dir.resolve("c1"),
        "127.0.0.1",
        0,
        raftPort,
        Map.of("c1", "127.0.0.1:" + raftPort),
        ttl,
        drift,
        standalone);
  }

  CoordinatorGrpc.CoordinatorBlockingStub stub(CoordinatorPeer peer) {
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(peer.clientAddress()).usePlaintext().build();
    channels.add(channel);
    return CoordinatorGrpc.newBlockingStub(channel);
  }

  /** Registers {@code site}, retrying while the lone peer elects itself (up to 30 s). */
  static long register(CoordinatorGrpc.CoordinatorBlockingStub stub, String site)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        SiteReply reply =
            stub.withDeadlineAfter(5, TimeUnit.SECONDS)
                .call(
                    SiteRequest.newBuilder()
                        .setRegister(RegisterRequest.newBuilder().setSite(site))
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

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
