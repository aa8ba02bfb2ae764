package dev.leasehold.testkit;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Cuts a site off from the coordinator, and counts its calls, by intercepting every gRPC call it
 * makes: while cut, new calls fail at once with UNAVAILABLE and calls in flight (the recall stream
 * among them) are cancelled, as if the network between them had gone. Thread-safe.
 */
public final class Partition implements ClientInterceptor {
  private final Set<ClientCall<?, ?>> active = ConcurrentHashMap.newKeySet();
  private final AtomicLong calls = new AtomicLong();
  private final Map<String, AtomicLong> byMethod = new ConcurrentHashMap<>();
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;

  /** Cuts the link (and every call in flight), or heals it. */
  public void cut(boolean cut) {
    this.cut = cut;
    if (cut) {
      for (ClientCall<?, ?> call : active) {
        call.cancel("partitioned", null);
      }
    }
  }

  /** Refuses new calls of one method (such as {@code Register}) as if cut, or lets them by. */
  public void refuse(String method, boolean refuse) {
    if (refuse) {
      refused.add(method);
    } else {
      refused.remove(method);
    }
  }

  /** Calls started through this link (whether they got through or not). */
  public long calls() {
    return calls.get();
  }

  /** Calls of one method, such as {@code Acquire} or {@code Renew}. */
  public long calls(String method) {
    AtomicLong n = byMethod.get(method);
    return n == null ? 0 : n.get();
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    calls.incrementAndGet();
    byMethod
        .computeIfAbsent(
            method.getBareMethodName() == null ? "" : method.getBareMethodName(),
            k -> new AtomicLong())
        .incrementAndGet();
    ClientCall<Q, R> call = next.newCall(method, options);
    return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
      private boolean refused;

      @Override
      public void start(Listener<R> listener, Metadata headers) {
        if (cut || Partition.this.refused.contains(method.getBareMethodName())) {
          refused = true;
          listener.onClose(Status.UNAVAILABLE.withDescription("partitioned"), new Metadata());
          return;
        }
        ClientCall<Q, R> self = this;
        active.add(self);
        super.start(
            new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                active.remove(self);
                super.onClose(status, trailers);
              }
            },
            headers);
      }

      @Override
      public void sendMessage(Q message) {
        if (!refused) {
          super.sendMessage(message);
        }
      }

      @Override
      public void halfClose() {
        if (!refused) {
          super.halfClose();
        }
      }

      @Override
      public void request(int n) {
        if (!refused) {
          super.request(n);
        }
      }

      @Override
      public void cancel(@Nullable String message, @Nullable Throwable cause) {
        active.remove(this);
        if (!refused) {
          super.cancel(message, cause);
        }
      }
    };
  }
}
