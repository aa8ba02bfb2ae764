package dev.leasehold.testkit;

import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.protocol.StatusRequest;
import dev.leasehold.tls.NodeCertificates;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** What a coordinator peer's Status call answers (its leader, sessions, applied index). */
public final class CoordinatorStatus {
  private CoordinatorStatus() {}

  /**
   * Asks the peer at {@code clientAddress}, on a channel of its own.
   *
   * @throws io.grpc.StatusRuntimeException if it does not answer within {@code timeout}
   */
  public static StatusReply of(String clientAddress, Duration timeout) {
    return of(clientAddress, timeout, null);
  }

  /** {@link #of(String, Duration)} over mutual TLS, presenting {@code certificates} if given. */
  public static StatusReply of(
      String clientAddress, Duration timeout, @Nullable NodeCertificates certificates) {
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(
                clientAddress,
                certificates == null
                    ? InsecureChannelCredentials.create()
                    : TlsChannelCredentials.newBuilder()
                        .keyManager(certificates.keyManager())
                        .trustManager(certificates.trustManager())
                        .build())
            .build();
    try {
      return CoordinatorGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .status(StatusRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
  }
}
