package dev.leasehold.lease;

import dev.leasehold.error.WouldWait;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.Recall;
import dev.leasehold.protocol.RecallsRequest;
import dev.leasehold.protocol.ReconfigureReply;
import dev.leasehold.protocol.ReconfigureRequest;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.protocol.StatusRequest;
import dev.leasehold.tls.NodeCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's connection to the coordinator group: calls go to the peer believed to lead; a peer
 * that answers {@code NOT_LEADER} names the leader (or the next address is tried), so any peer's
 * address is enough to find the group.
 *
 * <p>Interceptors wrap every call: tests cut a site off from the coordinator with one
 * (docs/protocol.md asks what happens then), without touching the network.
 *
 * <p>Thread-safe.
 */
public final class CoordinatorLink implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorLink.class);

  /** How long one call of a request that does not wait at the coordinator may take. */
  static final long CALL_MILLIS = 5_000;

  private final List<String> addresses;
  private final List<ClientInterceptor> interceptors;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final ChannelCredentials credentials;
  private volatile String current;

  /** A link over plain gRPC (a coordinator on loopback). */
  public CoordinatorLink(List<String> addresses, List<ClientInterceptor> interceptors) {
    this(addresses, interceptors, null);
  }

  /**
   * A link that presents {@code certificates} and trusts only the namespace's authority (mutual
   * TLS); null is plain gRPC.
   */
  public CoordinatorLink(
      List<String> addresses,
      List<ClientInterceptor> interceptors,
      @Nullable NodeCertificates certificates) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no coordinator address");
    }
    this.addresses = List.copyOf(addresses);
    List<ClientInterceptor> all = new ArrayList<>(interceptors);
    all.add(new TraceContextInterceptor()); // every call carries the caller's trace
    this.interceptors = List.copyOf(all);
    this.current = addresses.get(0);
    this.credentials =
        certificates == null
            ? InsecureChannelCredentials.create()
            : TlsChannelCredentials.newBuilder()
                .keyManager(certificates.keyManager())
                .trustManager(certificates.trustManager())
                .build();
  }

  /**
   * How long a call keeps looking for a leader that answers (peers refusing connections, or naming
   * no leader) before it gives up: long enough for an election, short enough that a site cut off
   * from its coordinator answers its clients with 503 in seconds, not when their own timeouts have
   * passed (docs/consistency.md, When something fails).
   */
  static final long LEADERLESS_MILLIS = 5_000;

  /**
   * Asks the leader {@code request} (a command of the log as it is, or a request of its own),
   * following redirections and trying other peers, for up to {@code budgetMillis}; each attempt may
   * take {@code attemptMillis}. Without an answer from a leader for {@link #LEADERLESS_MILLIS} (or
   * the budget, if shorter), it gives up. The one path every coordinator request of a site takes.
   *
   * @throws LeaseUnavailableException if no peer answered as leader in time
   */
  SiteReply call(SiteRequest request, long attemptMillis, long budgetMillis) {
    return attempt(s -> s.call(request), attemptMillis, budgetMillis, true);
  }

  /**
   * {@link #call} with a request the leader may wait on for up to {@code waitMillis} (a grant that
   * recalls holders first): each attempt and the whole call allow for that wait.
   */
  SiteReply callWaiting(SiteRequest request, long waitMillis) {
    return call(request, waitMillis + CALL_MILLIS, waitMillis + CALL_MILLIS * 2);
  }

  /** {@link #call} with a command of the log: the command's result (its outcome included). */
  CommandResult submit(Command command, long budgetMillis) {
    return call(SiteRequest.newBuilder().setCommand(command).build(), CALL_MILLIS, budgetMillis)
        .getResult();
  }

  /** The group as the first peer that answers sees it (any peer answers). */
  StatusReply status(long attemptMillis, long budgetMillis) {
    return attempt(
        s -> s.status(StatusRequest.getDefaultInstance()), attemptMillis, budgetMillis, false);
  }

  /**
   * An operator's change of the group, at the first peer that answers (any peer makes it). Tried
   * once at each peer that cannot be reached; the group's own refusal is thrown as it is.
   *
   * @throws IllegalArgumentException if the group refused the change as asked
   * @throws LeaseUnavailableException if no peer could make it
   */
  ReconfigureReply reconfigure(ReconfigureRequest request, long budgetMillis) {
    WouldWait.check();
    StatusRuntimeException last = null;
    String address = current;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
    for (int i = 0; i < addresses.size() && System.nanoTime() - deadline < 0; i++) {
      try {
        return CoordinatorGrpc.newBlockingStub(channel(address))
            .withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
            .reconfigure(request);
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code == Status.Code.INVALID_ARGUMENT || code == Status.Code.FAILED_PRECONDITION) {
          throw new IllegalArgumentException(e.getStatus().getDescription());
        }
        if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.UNAUTHENTICATED) {
          throw refused(e);
        }
        last = e;
        address = next(address);
      }
    }
    throw unreachable(last);
  }

  private <T> T attempt(
      Function<CoordinatorGrpc.CoordinatorBlockingStub, T> rpc,
      long attemptMillis,
      long budgetMillis,
      boolean leaderOnly) {
    WouldWait.check(); // every call waits for a peer's answer
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
    long leaderless =
        start + TimeUnit.MILLISECONDS.toNanos(Math.min(budgetMillis, LEADERLESS_MILLIS));
    String address = current;
    int tried = 0;
    StatusRuntimeException lastFailure = null;
    while (true) {
      try {
        T reply =
            rpc.apply(
                CoordinatorGrpc.newBlockingStub(channel(address))
                    .withDeadlineAfter(
                        Math.max(
                            1,
                            Math.min(
                                attemptMillis,
                                TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))),
                        TimeUnit.MILLISECONDS));
        if (!leaderOnly
            || !(reply instanceof SiteReply r)
            || r.getOutcome() != Outcome.NOT_LEADER) {
          current = address;
          return reply;
        }
        address = r.getLeaderAddress().isEmpty() ? next(address) : r.getLeaderAddress();
      } catch (StatusRuntimeException e) {
        lastFailure = e;
        Status.Code code = e.getStatus().getCode();
        if (code == Status.Code.CANCELLED) {
          throw unreachable(e);
        }
        if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.UNAUTHENTICATED) {
          throw refused(e); // every peer answers the same: the caller's certificate decides
        }
        address = next(address);
      }
      tried++;
      long now = System.nanoTime();
      if (now - deadline > 0 || now - leaderless > 0) {
        throw unreachable(lastFailure);
      }
      if (tried % addresses.size() == 0) {
        pause(50);
      }
    }
  }

  /** Opens the recall stream of {@code session} at the peer last seen leading. */
  void openRecalls(long session, StreamObserver<Recall> observer) {
    CoordinatorGrpc.newStub(channel(current))
        .recalls(RecallsRequest.newBuilder().setSession(session).build(), observer);
  }

  /** After a failed stream: the next peer, in case the one it was opened at no longer leads. */
  void rotate() {
    current = next(current);
  }

  private String next(String address) {
    int i = addresses.indexOf(address);
    return addresses.get((i + 1) % addresses.size());
  }

  /** What an address of a coordinator in this process starts with ({@link #inProcess}). */
  private static final String IN_PROCESS = "in-process:";

  /**
   * The address of a coordinator peer in this process, opened under {@code name} (the embedded
   * coordinator, for its own site): calls reach it through no socket.
   */
  public static String inProcess(String name) {
    return IN_PROCESS + name;
  }

  private ManagedChannel channel(String address) {
    return channels.computeIfAbsent(
        address,
        a -> {
          ManagedChannelBuilder<?> builder =
              a.startsWith(IN_PROCESS)
                  ? InProcessChannelBuilder.forName(a.substring(IN_PROCESS.length()))
                  : NettyChannelBuilder.forTarget(a, credentials);
          return builder.intercept(new ArrayList<>(interceptors)).build();
        });
  }

  private static LeaseUnavailableException refused(StatusRuntimeException cause) {
    LOG.warn("the coordinator refused this site: {}", cause.getStatus().getDescription());
    return new LeaseUnavailableException(
        LeaseUnavailableException.Reason.REFUSED,
        "The coordinator refused the request: " + cause.getStatus().getDescription());
  }

  private static LeaseUnavailableException unreachable(
      @org.jspecify.annotations.Nullable StatusRuntimeException cause) {
    return new LeaseUnavailableException(
        LeaseUnavailableException.Reason.UNREACHABLE,
        "The coordinator could not be reached"
            + (cause == null
                ? "."
                : ": " + cause.getStatus().getCode() + " " + cause.getStatus().getDescription()));
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels.values()) {
      try {
        c.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        LOG.debug("interrupted while closing coordinator channels");
        return;
      }
    }
  }
}
