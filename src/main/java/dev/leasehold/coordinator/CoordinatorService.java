package dev.leasehold.coordinator;

import dev.leasehold.protocol.AbortReply;
import dev.leasehold.protocol.AbortRequest;
import dev.leasehold.protocol.AbortWrite;
import dev.leasehold.protocol.AcquireRead;
import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.AcquireRequest;
import dev.leasehold.protocol.BeginWrite;
import dev.leasehold.protocol.BindBucket;
import dev.leasehold.protocol.BindBucketReply;
import dev.leasehold.protocol.BindBucketRequest;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitReply;
import dev.leasehold.protocol.CommitRequest;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.GrantWrite;
import dev.leasehold.protocol.InspectElements;
import dev.leasehold.protocol.InspectReply;
import dev.leasehold.protocol.InspectRequest;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.Recall;
import dev.leasehold.protocol.RecallsRequest;
import dev.leasehold.protocol.RegisterReply;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.ReleaseLeases;
import dev.leasehold.protocol.ReleaseReply;
import dev.leasehold.protocol.ReleaseRequest;
import dev.leasehold.protocol.RenewReply;
import dev.leasehold.protocol.RenewRequest;
import dev.leasehold.protocol.RenewSession;
import dev.leasehold.protocol.SiteEntry;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.protocol.StatusRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What sites call: the coordinator's gRPC service. Only the leader serves; any other peer answers
 * {@code NOT_LEADER} with the leader's client address, so a site may call any peer.
 *
 * <p>Every change goes through the log ({@link Submitter}); what this class adds is the waiting the
 * rules need: a READ waits out a write in progress, a WRITE recalls the readers in parallel and
 * waits until each has released its lease or its session has expired, never less.
 *
 * <p>Thread-safe; each call runs on its own virtual thread.
 */
final class CoordinatorService extends CoordinatorGrpc.CoordinatorImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorService.class);

  /** The longest a grant may be waited for, whatever the site asks. */
  private static final long MAX_WAIT_MILLIS = 60_000;

  /** How often a recall is sent again to a holder that has not released (streams reconnect). */
  private static final long RESEND_NANOS = Changes.millis(1000);

  /** What the service needs of the peer it runs in. */
  interface Peer {
    boolean isLeader();

    /** The leader's client address, or empty if it is not known. */
    String leaderAddress();

    String leaderId();

    /** Whether this peer still refuses grants (it lost its table and waits out old leases). */
    boolean starting();

    long appliedIndex();

    int sessions();

    /** The address each site with a live session gave, by name. */
    Map<String, String> siteAddresses();

    /** The client address of each peer that announced itself, by id. */
    Map<String, String> peerAddresses();
  }

  private volatile @Nullable Timer recallDuration;
  private volatile Tracer tracer = OpenTelemetry.noop().getTracer("dev.leasehold.coordinator");
  private final Peer peer;
  private final Submitter submitter;
  private final RecallHub recalls;
  private final Changes changes;
  private final CoordinatorSettings settings;
  private final LongSupplier nanoTime;

  CoordinatorService(
      Peer peer,
      Submitter submitter,
      RecallHub recalls,
      Changes changes,
      CoordinatorSettings settings,
      LongSupplier nanoTime) {
    this.peer = peer;
    this.submitter = submitter;
    this.recalls = recalls;
    this.changes = changes;
    this.settings = settings;
    this.nanoTime = nanoTime;
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterReply> out) {
    if (redirected(
        out,
        a ->
            RegisterReply.newBuilder()
                .setOutcome(Outcome.NOT_LEADER)
                .setLeaderAddress(a)
                .build())) {
      return;
    }
    run(
        out,
        () -> {
          CommandResult r =
              submitter.submit(
                  Command.newBuilder()
                      .setRegister(
                          RegisterSession.newBuilder()
                              .setSite(request.getSite())
                              .setAddress(request.getAddress()))
                      .build());
          return RegisterReply.newBuilder()
              .setOutcome(r.getOutcome())
              .setSession(r.getSession())
              .setTtlMillis(settings.ttl().toMillis())
              .setDrift(settings.drift())
              .build();
        });
  }

  @Override
  public void renew(RenewRequest request, StreamObserver<RenewReply> out) {
    if (redirected(
        out,
        a -> RenewReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    run(
        out,
        () -> {
          CommandResult r =
              submitter.submit(
                  Command.newBuilder()
                      .setRenew(RenewSession.newBuilder().setSession(request.getSession()))
                      .build());
          return RenewReply.newBuilder().setOutcome(r.getOutcome()).build();
        });
  }

  @Override
  public void acquire(AcquireRequest request, StreamObserver<AcquireReply> out) {
    if (redirected(
        out,
        a ->
            AcquireReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    if (peer.starting()) {
      reply(out, AcquireReply.newBuilder().setOutcome(Outcome.STARTING).build());
      return;
    }
    Span span =
        tracer
            .spanBuilder(
                "coordinator acquire " + (request.getMode() == Mode.WRITE ? "write" : "read"))
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("leasehold.session", request.getSession())
            .startSpan();
    try (Scope scope = span.makeCurrent()) {
      run(
          out,
          () -> request.getMode() == Mode.WRITE ? acquireWrite(request) : acquireRead(request));
    } finally {
      span.end();
    }
  }

  void bindTracing(OpenTelemetry telemetry) {
    tracer = telemetry.getTracer("dev.leasehold.coordinator");
  }

  private AcquireReply acquireRead(AcquireRequest request)
      throws IOException, InterruptedException {
    long deadline = nanoTime.getAsLong() + waitNanos(request);
    Command command =
        Command.newBuilder()
            .setAcquireRead(
                AcquireRead.newBuilder()
                    .setSession(request.getSession())
                    .setElement(request.getElement()))
            .build();
    while (true) {
      long seen = changes.generation();
      CommandResult r = submitter.submit(command);
      if (r.getOutcome() != Outcome.BUSY) {
        return grant(r);
      }
      // A write of the element is in progress elsewhere: wait for it to end.
      if (!waitForChange(seen, deadline)) {
        return AcquireReply.newBuilder().setOutcome(Outcome.BUSY).build();
      }
    }
  }

  private AcquireReply acquireWrite(AcquireRequest request)
      throws IOException, InterruptedException {
    long deadline = nanoTime.getAsLong() + waitNanos(request);
    long session = request.getSession();
    Command begin =
        Command.newBuilder()
            .setBeginWrite(
                BeginWrite.newBuilder().setSession(session).setElement(request.getElement()))
            .build();
    Command grant =
        Command.newBuilder()
            .setGrantWrite(
                GrantWrite.newBuilder().setSession(session).setElement(request.getElement()))
            .build();
    Map<Long, Long> lastSent = new HashMap<>();
    long firstRecall = 0;
    Span recall = Span.getInvalid();
    try {
      long seen = changes.generation();
      CommandResult r = submitter.submit(begin);
      while (true) {
        if (r.getOutcome() == Outcome.BUSY) {
          // Another site holds or waits for WRITE: wait for that write to end, then claim again.
          if (!waitForChange(seen, deadline)) {
            return AcquireReply.newBuilder().setOutcome(Outcome.BUSY).build();
          }
          seen = changes.generation();
          r = submitter.submit(begin);
          continue;
        }
        if (r.getOutcome() != Outcome.OK || r.getMode() == Mode.WRITE) {
          Timer timer = recallDuration;
          if (firstRecall != 0 && r.getMode() == Mode.WRITE && timer != null) {
            timer.record(nanoTime.getAsLong() - firstRecall, TimeUnit.NANOSECONDS);
          }
          return grant(r);
        }
        // Readers to recall, in parallel. A holder that does not answer is waited out until its
        // session expires (SessionWatch), never less; the recall is sent again now and then, in
        // case the holder's stream was reconnecting.
        long now = nanoTime.getAsLong();
        if (firstRecall == 0) {
          firstRecall = now;
        }
        long nextResend = now + RESEND_NANOS;
        for (long holder : r.getHoldersList()) {
          Long sent = lastSent.get(holder);
          if (sent == null || now - sent >= RESEND_NANOS) {
            recalls.recall(holder, request.getElement(), Mode.READ);
            lastSent.put(holder, now);
            sent = now;
          }
          nextResend = Math.min(nextResend, sent + RESEND_NANOS);
        }
        while (changes.generation() == seen && nanoTime.getAsLong() - nextResend < 0) {
          if (!peer.isLeader()) {
            return AcquireReply.newBuilder()
                .setOutcome(Outcome.NOT_LEADER)
                .setLeaderAddress(peer.leaderAddress())
                .build();
          }
          long left = deadline - nanoTime.getAsLong();
          if (left <= 0) {
            // Out of time: give up the claim, so that readers are admitted again.
            submitter.submit(
                Command.newBuilder()
                    .setRelease(
                        ReleaseLeases.newBuilder()
                            .setSession(session)
                            .addElements(request.getElement()))
                    .build());
            return AcquireReply.newBuilder().setOutcome(Outcome.BUSY).build();
          }
          long untilResend = nextResend - nanoTime.getAsLong();
          changes.awaitAfter(
              seen, Math.max(0, Math.min(left, Math.min(untilResend, Changes.millis(200)))));
        }
        seen = changes.generation();
        r = submitter.submit(grant);
      }
    } finally {
      recall.end();
    }
  }

  /**
   * Registers {@code leasehold_coordinator_recall_duration_seconds}: from the first recall a WRITE
   * grant needed to the grant (every holder released, or was waited out).
   */
  void bindMetrics(MeterRegistry registry, Tags tags) {
    recallDuration =
        Timer.builder("leasehold.coordinator.recall.duration")
            .description("Time a WRITE grant waited for the READ leases it recalled")
            .tags(tags)
            .serviceLevelObjectives(
                Duration.ofMillis(1),
                Duration.ofMillis(5),
                Duration.ofMillis(10),
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofSeconds(5),
                Duration.ofSeconds(15),
                Duration.ofSeconds(30))
            .register(registry);
  }

  /** Waits for the table to change or the deadline to pass; false if the deadline passed. */
  private boolean waitForChange(long seen, long deadline) throws InterruptedException {
    long left = deadline - nanoTime.getAsLong();
    if (left <= 0) {
      return false;
    }
    changes.awaitAfter(seen, Math.min(left, Changes.millis(200)));
    return true;
  }

  private long waitNanos(AcquireRequest request) {
    long millis = request.getWaitMillis() == 0 ? 30_000 : request.getWaitMillis();
    return Changes.millis(Math.min(millis, MAX_WAIT_MILLIS));
  }

  private static AcquireReply grant(CommandResult r) {
    return AcquireReply.newBuilder()
        .setOutcome(r.getOutcome())
        .setMode(r.getMode())
        .setVersion(r.getVersion())
        .setEpoch(r.getEpoch())
        .build();
  }

  @Override
  public void commit(CommitRequest request, StreamObserver<CommitReply> out) {
    if (redirected(
        out,
        a -> CommitReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    run(
        out,
        () -> {
          CommandResult r =
              submitter.submit(
                  Command.newBuilder()
                      .setCommit(
                          CommitWrite.newBuilder()
                              .setSession(request.getSession())
                              .setElement(request.getElement())
                              .setEpoch(request.getEpoch())
                              .setVersion(request.getVersion()))
                      .build());
          return CommitReply.newBuilder()
              .setOutcome(r.getOutcome())
              .setVersion(r.getVersion().getVersion())
              .build();
        });
  }

  @Override
  public void abort(AbortRequest request, StreamObserver<AbortReply> out) {
    if (redirected(
        out,
        a -> AbortReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    run(
        out,
        () ->
            AbortReply.newBuilder()
                .setOutcome(
                    submitter
                        .submit(
                            Command.newBuilder()
                                .setAbort(
                                    AbortWrite.newBuilder()
                                        .setSession(request.getSession())
                                        .setElement(request.getElement())
                                        .setEpoch(request.getEpoch())
                                        .setUncertain(request.getUncertain()))
                                .build())
                        .getOutcome())
                .build());
  }

  @Override
  public void release(ReleaseRequest request, StreamObserver<ReleaseReply> out) {
    if (redirected(
        out,
        a ->
            ReleaseReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    run(
        out,
        () ->
            ReleaseReply.newBuilder()
                .setOutcome(
                    submitter
                        .submit(
                            Command.newBuilder()
                                .setRelease(
                                    ReleaseLeases.newBuilder()
                                        .setSession(request.getSession())
                                        .addAllElements(request.getElementsList()))
                                .build())
                        .getOutcome())
                .build());
  }

  @Override
  public void bindBucket(BindBucketRequest request, StreamObserver<BindBucketReply> out) {
    if (redirected(
        out,
        a ->
            BindBucketReply.newBuilder()
                .setOutcome(Outcome.NOT_LEADER)
                .setLeaderAddress(a)
                .build())) {
      return;
    }
    run(
        out,
        () -> {
          CommandResult r =
              submitter.submit(
                  Command.newBuilder()
                      .setBindBucket(
                          BindBucket.newBuilder()
                              .setBucket(request.getBucket())
                              .setOrigin(request.getOrigin()))
                      .build());
          return BindBucketReply.newBuilder()
              .setOutcome(r.getOutcome())
              .setOrigin(r.getOrigin())
              .build();
        });
  }

  @Override
  public void inspect(InspectRequest request, StreamObserver<InspectReply> out) {
    if (redirected(
        out,
        a ->
            InspectReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    run(
        out,
        () -> {
          CommandResult r =
              submitter.submit(
                  Command.newBuilder()
                      .setInspect(
                          InspectElements.newBuilder()
                              .setBucket(request.getBucket())
                              .setPrefix(request.getPrefix())
                              .setLimit(request.getLimit()))
                      .build());
          return InspectReply.newBuilder()
              .setOutcome(r.getOutcome())
              .addAllElements(r.getElementsList())
              .build();
        });
  }

  @Override
  public void recalls(RecallsRequest request, StreamObserver<Recall> out) {
    if (!peer.isLeader()) {
      out.onError(
          Status.FAILED_PRECONDITION
              .withDescription("not leader; leader at " + peer.leaderAddress())
              .asRuntimeException());
      return;
    }
    long session = request.getSession();
    recalls.attach(session, out);
    if (out instanceof ServerCallStreamObserver<Recall> server) {
      server.setOnCancelHandler(() -> recalls.detach(session, out));
    }
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusReply> out) {
    reply(
        out,
        StatusReply.newBuilder()
            .setLeaderId(peer.leaderId())
            .setLeaderAddress(peer.leaderAddress())
            .setSessions(peer.sessions())
            .setAppliedIndex(Math.max(0, peer.appliedIndex()))
            .putAllPeers(peer.peerAddresses())
            .addAllSites(
                peer.siteAddresses().entrySet().stream()
                    .map(e -> SiteEntry.newBuilder().setSite(e.getKey()).setAddress(e.getValue()))
                    .map(SiteEntry.Builder::build)
                    .toList())
            .build());
  }

  /** Something to answer with, which may fail to reach the group. */
  @FunctionalInterface
  private interface Answer<T> {
    T get() throws IOException, InterruptedException;
  }

  /**
   * Off the leader: answers {@code notLeader} with the leader's address (empty if unknown), so the
   * site calls it next, and returns true.
   */
  private <T> boolean redirected(StreamObserver<T> out, Function<String, T> notLeader) {
    if (peer.isLeader()) {
      return false;
    }
    reply(out, notLeader.apply(peer.leaderAddress()));
    return true;
  }

  private static <T> void run(StreamObserver<T> out, Answer<T> answer) {
    try {
      reply(out, answer.get());
    } catch (IOException e) {
      LOG.debug("a coordinator call failed", e);
      out.onError(
          Status.UNAVAILABLE.withDescription(e.getMessage()).withCause(e).asRuntimeException());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.onError(Status.CANCELLED.withDescription("interrupted").asRuntimeException());
    } catch (RuntimeException e) {
      LOG.error("a coordinator call failed unexpectedly", e);
      out.onError(Status.INTERNAL.withDescription(String.valueOf(e)).asRuntimeException());
    }
  }

  private static <T> void reply(StreamObserver<T> out, T value) {
    out.onNext(value);
    out.onCompleted();
  }
}
