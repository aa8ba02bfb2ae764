package dev.leasehold.testkit;

import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.protocol.StatusRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** What a coordinator peer's Status call answers (its leader, sessions, applied index). */
public final class CoordinatorStatus {
  private CoordinatorStatus() {}

  /**
   * Asks the peer at {@code clientAddress}, on a channel of its own.
   *
   * @throws io.grpc.StatusRuntimeException if it does not answer within {@code timeout}
   */
  public static StatusReply of(String clientAddress, Duration timeout) {
    ManagedChannel channel = NettyChannelBuilder.forTarget(clientAddress).usePlaintext().build();
    try {
      return CoordinatorGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .status(StatusRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }
}
