package dev.leasehold.coordinator;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import org.jspecify.annotations.Nullable;

/**
 * Takes a site's trace context (W3C {@code traceparent}) from each call's metadata and makes it
 * current while the call is handled, so that the coordinator's spans are children of the site's.
 * Stateless.
 */
final class TraceContextServerInterceptor implements ServerInterceptor {
  private static final TextMapGetter<Metadata> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Metadata carrier) {
          return carrier.keys();
        }

        @Override
        public @Nullable String get(@Nullable Metadata carrier, String key) {
          return carrier == null
              ? null
              : carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
        }
      };

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Context context =
        W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, GETTER);
    ServerCall.Listener<Q> delegate;
    try (Scope scope = context.makeCurrent()) {
      delegate = next.startCall(call, headers);
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        try (Scope scope = context.makeCurrent()) {
          super.onMessage(message);
        }
      }

      @Override
      public void onHalfClose() {
        try (Scope scope = context.makeCurrent()) {
          super.onHalfClose();
        }
      }
    };
  }
}
