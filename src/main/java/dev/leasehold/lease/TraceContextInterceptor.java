package dev.leasehold.lease;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import org.jspecify.annotations.Nullable;

/**
 * Carries the caller's trace (W3C {@code traceparent}) to the coordinator in each call's metadata,
 * so that the coordinator's spans join the site's request. Adds nothing when there is no trace.
 * Stateless.
 */
final class TraceContextInterceptor implements ClientInterceptor {
  private static final TextMapSetter<Metadata> SETTER =
      (@Nullable Metadata carrier, String key, String value) -> {
        if (carrier != null) {
          carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
        }
      };

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    Context context = Context.current();
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        W3CTraceContextPropagator.getInstance().inject(context, headers, SETTER);
        super.start(listener, headers);
      }
    };
  }
}
