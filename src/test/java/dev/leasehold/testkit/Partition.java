package dev.leasehold.testkit;

import dev.leasehold.protocol.SiteRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Cuts a site off from the coordinator, and counts its calls, by intercepting every gRPC call it
 * makes: while cut, new calls fail at once with UNAVAILABLE and calls in flight (the recall stream
 * among them) are cancelled, as if the network between them had gone. A method's replies can also
 * be held back: the call reaches the coordinator and takes effect there, and the site hears of it
 * only when they are let go (as if the reply were slow). Thread-safe; what is held is guarded by
 * the partition's lock.
 */
public final class Partition implements ClientInterceptor {
  /** The calls started through the link and not closed. */
  private final Set<Dropping> active = ConcurrentHashMap.newKeySet();

  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final Map<String, AtomicLong> byMethod = new ConcurrentHashMap<>();
  private final Set<String> refused = ConcurrentHashMap.newKeySet();

  /** Guarded by {@code this} for writes; a call checks it under the same lock as it starts. */
  private volatile boolean cut;

  /** A call the partition can cut off. */
  private interface Dropping {
    void drop();
  }

  /**
   * Replies held back, by the method whose replies are held (each call's in order); a method is a
   * key for as long as it is held. Guarded by {@code this}.
   */
  private final Map<String, List<Runnable>> holding = new java.util.HashMap<>();

  /** Calls whose close (their whole reply) is held back now. Guarded by {@code this}. */
  private int heldCalls;

  /** Cuts the link (and every call in flight), or heals it. */
  public void cut(boolean cut) {
    List<Dropping> inFlight;
    synchronized (this) {
      this.cut = cut;
      inFlight = cut ? List.copyOf(active) : List.of();
    }
    // A call starting now either saw the flag above or is in the copy: none slips through.
    for (Dropping call : inFlight) {
      call.drop();
    }
  }

  /** Calls the link refused or cut off (while cut, or of a refused method). */
  public long dropped() {
    return dropped.get();
  }

  /** Refuses new calls of one method (such as {@code Register}) as if cut, or lets them by. */
  public void refuse(String method, boolean refuse) {
    if (refuse) {
      refused.add(method);
    } else {
      refused.remove(method);
    }
  }

  /**
   * Holds back the replies of one method (such as {@code Reclaim}), or lets go of them: those held
   * are delivered now, in order, and later ones go through.
   */
  public void hold(String method, boolean hold) {
    List<Runnable> release;
    synchronized (this) {
      if (hold) {
        holding.putIfAbsent(method, new ArrayList<>());
        return;
      }
      release = holding.remove(method);
    }
    if (release != null) {
      release.forEach(Runnable::run);
    }
  }

  /** How many calls have had their whole reply held back (let go or not). */
  public synchronized int heldCalls() {
    return heldCalls;
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
    String name = method.getBareMethodName();
    if (!"Call".equals(name)) {
      count(name); // a site's requests are all "Call": each is named by what it asks (sendMessage)
    }
    ClientCall<Q, R> call = next.newCall(method, options);
    return new DroppableCall<>(call, name, options);
  }

  private void count(@Nullable String name) {
    byMethod.computeIfAbsent(name == null ? "" : name, k -> new AtomicLong()).incrementAndGet();
  }

  /**
   * What a site's request asks, named as the method it was before the coordinator had one call for
   * every request: {@code Register}, {@code Acquire}, {@code Commit}, {@code Reclaim}, ...
   */
  static String requestName(SiteRequest request) {
    return switch (request.getRequestCase()) {
      case REGISTER -> "Register";
      case RENEW -> "Renew";
      case ACQUIRE -> "Acquire";
      case ACQUIRE_PREFIX -> "AcquirePrefix";
      case COMMAND ->
          switch (request.getCommand().getCommandCase()) {
            case MARK_CLEAN -> "Flushed";
            default -> camel(request.getCommand().getCommandCase().name());
          };
      case END_SESSION -> "EndSession";
      case REQUEST_NOT_SET -> "";
    };
  }

  private static String camel(String constant) {
    StringBuilder out = new StringBuilder();
    for (String word : constant.split("_")) {
      out.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
    }
    return out.toString();
  }

  /**
   * One call through the link. Its own lock orders the partition's cut against the call's start,
   * messages and half-close: a call cut before it started never starts (its listener hears
   * UNAVAILABLE), and one cut after is cancelled, after which nothing more is sent on it (gRPC
   * would throw). Lock order: this call's lock, then the partition's (when a reply is delivered
   * inside a call), never the other way.
   */
  private final class DroppableCall<Q, R>
      extends ForwardingClientCall.SimpleForwardingClientCall<Q, R> implements Dropping {
    /** The method, then (once sent) what the request asks; read by the replies. */
    private volatile @Nullable String name;

    /** Refused when its request was seen: the site hears UNAVAILABLE, as if cut. */
    private volatile boolean refusedRequest;

    private final CallOptions options;
    private final Object lock = new Object();
    private boolean started;
    private boolean gone;
    private @Nullable Listener<R> listener;

    DroppableCall(ClientCall<Q, R> call, @Nullable String name, CallOptions options) {
      super(call);
      this.name = name;
      this.options = options;
    }

    @Override
    public void drop() {
      synchronized (lock) {
        if (gone) {
          return;
        }
        gone = true;
        dropped.incrementAndGet();
        active.remove(this);
        if (started) {
          super.cancel("partitioned", null);
          return;
        }
      }
    }

    @Override
    public void start(Listener<R> listener, Metadata headers) {
      boolean refuse;
      synchronized (Partition.this) {
        refuse = cut || (name != null && refused.contains(name));
        if (!refuse) {
          active.add(this);
        }
      }
      synchronized (lock) {
        if (refuse && !gone) {
          gone = true;
          dropped.incrementAndGet();
        }
        if (!gone) {
          this.listener = listener;
          super.start(new Replies<>(listener, this, () -> name, options), headers);
          started = true;
          return;
        }
      }
      listener.onClose(Status.UNAVAILABLE.withDescription("partitioned"), new Metadata());
    }

    @Override
    public void sendMessage(Q message) {
      if (message instanceof SiteRequest request) {
        String asked = requestName(request);
        name = asked;
        count(asked);
        boolean refuse;
        synchronized (Partition.this) {
          refuse = refused.contains(asked);
        }
        if (refuse) {
          refusedRequest = true;
          synchronized (lock) {
            if (!gone) {
              gone = true;
              dropped.incrementAndGet();
              active.remove(this);
              super.cancel("refused", null); // its close is answered UNAVAILABLE (Replies)
            }
          }
          return;
        }
      }
      synchronized (lock) {
        if (!gone) {
          super.sendMessage(message);
        }
      }
    }

    @Override
    public void halfClose() {
      synchronized (lock) {
        if (!gone) {
          super.halfClose();
        }
      }
    }

    @Override
    public void request(int n) {
      synchronized (lock) {
        if (!gone) {
          super.request(n);
        }
      }
    }

    @Override
    public void cancel(@Nullable String message, @Nullable Throwable cause) {
      synchronized (lock) {
        active.remove(this);
        if (started && !gone) {
          super.cancel(message, cause);
        }
        gone = true;
      }
    }
  }

  /** A call's replies: delivered, or held back while their method is held. */
  private final class Replies<R>
      extends ForwardingClientCallListener.SimpleForwardingClientCallListener<R> {
    private final DroppableCall<?, R> call;
    private final java.util.function.Supplier<@Nullable String> name;
    private final CallOptions options;

    Replies(
        ClientCall.Listener<R> listener,
        DroppableCall<?, R> call,
        java.util.function.Supplier<@Nullable String> name,
        CallOptions options) {
      super(listener);
      this.call = call;
      this.name = name;
      this.options = options;
    }

    /** This call's replies held back, in order (later ones wait behind). Guarded. */
    private final java.util.ArrayDeque<Runnable> heldThis = new java.util.ArrayDeque<>();

    @Override
    public void onHeaders(Metadata headers) {
      deliver(() -> super.onHeaders(headers), false);
    }

    @Override
    public void onMessage(R message) {
      deliver(() -> super.onMessage(message), false);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      active.remove(call);
      Status heard =
          call.refusedRequest ? Status.UNAVAILABLE.withDescription("partitioned") : status;
      deliver(() -> super.onClose(heard, trailers), true);
    }

    private void deliver(Runnable reply, boolean close) {
      synchronized (Partition.this) {
        String method = name.get();
        List<Runnable> held = method == null ? null : holding.get(method);
        if (held != null || !heldThis.isEmpty()) {
          if (close) {
            heldCalls++;
          }
          heldThis.add(reply);
          if (heldThis.size() == 1 && held != null) {
            held.add(this::letGo);
          }
          return;
        }
      }
      reply.run();
    }

    /** Delivers this call's held replies, in order (under the lock, so none overtakes). */
    private void letGo() {
      synchronized (Partition.this) {
        Runnable next;
        while ((next = heldThis.poll()) != null) {
          send(next);
        }
      }
    }

    /**
     * On the executor the call delivers on (a blocking call's own thread waits on it), not on the
     * thread that lets go.
     */
    private void send(Runnable reply) {
      java.util.concurrent.Executor on = options.getExecutor();
      if (on == null) {
        reply.run();
      } else {
        on.execute(reply);
      }
    }
  }
}
