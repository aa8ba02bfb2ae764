package dev.leasehold.coordinator;

import dev.leasehold.tls.Caller;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * On a client port served over mutual TLS: who called, from the certificate the handshake checked,
 * made current for the call ({@link #caller}); a certificate of the namespace's authority without a
 * name and role is refused ({@code UNAUTHENTICATED}). On a plain port there is no caller.
 * Stateless.
 */
final class CallerInterceptor implements ServerInterceptor {
  private static final Context.Key<Caller> CALLER = Context.key("leasehold-caller");

  /** The caller of the call being handled, or null on a plain (loopback-only) port. */
  static @Nullable Caller caller() {
    return CALLER.get();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SSLSession tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (tls == null) {
      return next.startCall(call, headers);
    }
    Optional<Caller> caller = Caller.of(tls);
    if (caller.isEmpty()) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "the certificate names no Leasehold identity (CN and OU)"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(CALLER, caller.get()), call, headers, next);
  }
}
