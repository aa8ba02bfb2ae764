package dev.leasehold.coordinator;

import dev.leasehold.protocol.AbortReply;
import dev.leasehold.protocol.AbortRequest;
import dev.leasehold.protocol.AbortWrite;
import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.AcquireRequest;
import dev.leasehold.protocol.BindBucket;
import dev.leasehold.protocol.BindBucketReply;
import dev.leasehold.protocol.BindBucketRequest;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitReply;
import dev.leasehold.protocol.CommitRequest;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.DeclareLost;
import dev.leasehold.protocol.DeclareLostReply;
import dev.leasehold.protocol.DeclareLostRequest;
import dev.leasehold.protocol.DirtyElement;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.FlushedReply;
import dev.leasehold.protocol.FlushedRequest;
import dev.leasehold.protocol.InspectElements;
import dev.leasehold.protocol.InspectReply;
import dev.leasehold.protocol.InspectRequest;
import dev.leasehold.protocol.MarkClean;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.OverlayReply;
import dev.leasehold.protocol.OverlayRequest;
import dev.leasehold.protocol.PrefixReply;
import dev.leasehold.protocol.PrefixRequest;
import dev.leasehold.protocol.ReadOverlay;
import dev.leasehold.protocol.Recall;
import dev.leasehold.protocol.RecallsRequest;
import dev.leasehold.protocol.ReclaimDirty;
import dev.leasehold.protocol.ReclaimReply;
import dev.leasehold.protocol.ReclaimRequest;
import dev.leasehold.protocol.RegisterReply;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.ReleaseLeases;
import dev.leasehold.protocol.ReleasePrefixLease;
import dev.leasehold.protocol.ReleasePrefixReply;
import dev.leasehold.protocol.ReleasePrefixRequest;
import dev.leasehold.protocol.ReleaseReply;
import dev.leasehold.protocol.ReleaseRequest;
import dev.leasehold.protocol.RenewReply;
import dev.leasehold.protocol.RenewRequest;
import dev.leasehold.protocol.RenewSession;
import dev.leasehold.protocol.SetBucketMode;
import dev.leasehold.protocol.SetBucketModeReply;
import dev.leasehold.protocol.SetBucketModeRequest;
import dev.leasehold.protocol.SiteEntry;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.protocol.StatusRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What sites call: the coordinator's gRPC service. Only the leader serves; any other peer answers
 * {@code NOT_LEADER} with the leader's client address, so a site may call any peer.
 *
 * <p>Every change goes through the log ({@link Submitter}); the waiting the rules need when a lease
 * is asked for (a READ waits out a write in progress; a WRITE recalls the readers and waits for
 * them) is {@link Grants}'.
 *
 * <p>Thread-safe; each call runs on its own virtual thread.
 */
final class CoordinatorService extends CoordinatorGrpc.CoordinatorImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorService.class);

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

    /** The bucket → origin table. */
    Map<String, String> bucketOrigins();

    /** The write-back buckets. */
    java.util.List<String> writeBackBuckets();

    /** The buckets whose redirect policy is not adaptive. */
    Map<String, String> bucketPolicies();
  }

  private volatile Tracer tracer = OpenTelemetry.noop().getTracer("dev.leasehold.coordinator");
  private final Peer peer;
  private final Submitter submitter;
  private final RecallHub recalls;
  private final CoordinatorSettings settings;
  private final Grants grants;

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
    this.settings = settings;
    this.grants = new Grants(peer, submitter, recalls, changes, nanoTime);
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
                              .setAddress(request.getAddress())
                              .setPeerSecret(randomSecret()))
                      .build());
          return RegisterReply.newBuilder()
              .setOutcome(r.getOutcome())
              .setSession(r.getSession())
              .setTtlMillis(settings.ttl().toMillis())
              .setDrift(settings.drift())
              .addAllOverlayBuckets(r.getOverlayBucketsList())
              .setPeerSecret(r.getPeerSecret())
              .setStarting(peer.starting())
              .build();
        });
  }

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private static String randomSecret() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return java.util.HexFormat.of().formatHex(bytes);
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
          return RenewReply.newBuilder()
              .setOutcome(r.getOutcome())
              .addAllOverlayBuckets(r.getOverlayBucketsList())
              .setStarting(peer.starting())
              .build();
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
          () -> request.getMode() == Mode.WRITE ? grants.write(request) : grants.read(request));
    } finally {
      span.end();
    }
  }

  void bindTracing(OpenTelemetry telemetry) {
    tracer = telemetry.getTracer("dev.leasehold.coordinator");
    grants.bindTracing(tracer);
  }

  /** See {@link Grants#bindMetrics}. */
  void bindMetrics(MeterRegistry registry, Tags tags) {
    grants.bindMetrics(registry, tags);
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
                              .setVersion(request.getVersion())
                              .setDirty(request.getDirty())
                              .setJournalSeq(request.getJournalSeq()))
                      .build());
          if (r.getOutcome() == Outcome.OK && request.getDirty()) {
            grants.wrote(request.getElement());
          }
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

  // ---- write-back

  @Override
  public void flushed(FlushedRequest request, StreamObserver<FlushedReply> out) {
    if (redirected(
        out,
        a ->
            FlushedReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    run(
        out,
        () -> {
          CommandResult r =
              submitter.submit(
                  Command.newBuilder()
                      .setMarkClean(
                          MarkClean.newBuilder()
                              .setSession(request.getSession())
                              .setElement(request.getElement())
                              .setEpoch(request.getEpoch())
                              .setVersion(request.getVersion())
                              .setRelease(request.getRelease()))
                      .build());
          return FlushedReply.newBuilder()
              .setOutcome(r.getOutcome())
              .setClean(r.getClean())
              .build();
        });
  }

  @Override
  public void reclaim(ReclaimRequest request, StreamObserver<ReclaimReply> out) {
    if (redirected(
        out,
        a ->
            ReclaimReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    run(
        out,
        () -> {
          CommandResult r =
              submitter.submit(
                  Command.newBuilder()
                      .setReclaim(ReclaimDirty.newBuilder().setSession(request.getSession()))
                      .build());
          return ReclaimReply.newBuilder()
              .setOutcome(r.getOutcome())
              .addAllElements(r.getOwnedList())
              .addAllPrefixes(r.getOwnedPrefixesList())
              .build();
        });
  }

  @Override
  public void declareLost(DeclareLostRequest request, StreamObserver<DeclareLostReply> out) {
    if (redirected(
        out,
        a ->
            DeclareLostReply.newBuilder()
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
                      .setDeclareLost(DeclareLost.newBuilder().setSite(request.getSite()))
                      .build());
          DeclareLostReply.Builder reply = DeclareLostReply.newBuilder().setOutcome(r.getOutcome());
          for (DirtyElement d : r.getDirtyList()) {
            LOG.error(
                "site {} declared lost: the unflushed version {} of {}/{} is lost",
                request.getSite(),
                d.getVersion().getVersion(),
                d.getBucket(),
                d.getKey());
            reply.addLost(Element.newBuilder().setBucket(d.getBucket()).setKey(d.getKey()));
          }
          for (String p : r.getLostPrefixesList()) {
            LOG.error(
                "site {} declared lost: what it wrote under its prefix lease {} and did not flush"
                    + " is lost",
                request.getSite(),
                p);
          }
          return reply.addAllLostPrefixes(r.getLostPrefixesList()).build();
        });
  }

  @Override
  public void overlay(OverlayRequest request, StreamObserver<OverlayReply> out) {
    if (redirected(
        out,
        a ->
            OverlayReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    run(
        out,
        () -> {
          CommandResult r =
              submitter.submit(
                  Command.newBuilder()
                      .setOverlay(
                          ReadOverlay.newBuilder()
                              .setBucket(request.getBucket())
                              .setPrefix(request.getPrefix()))
                      .build());
          return OverlayReply.newBuilder()
              .setOutcome(r.getOutcome())
              .addAllElements(r.getDirtyList())
              .addAllPrefixOwners(r.getPrefixOwnersList())
              .build();
        });
  }

  @Override
  public void setBucketMode(SetBucketModeRequest request, StreamObserver<SetBucketModeReply> out) {
    if (redirected(
        out,
        a ->
            SetBucketModeReply.newBuilder()
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
                      .setSetBucketMode(
                          SetBucketMode.newBuilder()
                              .setBucket(request.getBucket())
                              .setWriteBack(request.getWriteBack())
                              .setPolicy(request.getPolicy()))
                      .build());
          return SetBucketModeReply.newBuilder().setOutcome(r.getOutcome()).build();
        });
  }

  @Override
  public void acquirePrefix(PrefixRequest request, StreamObserver<PrefixReply> out) {
    if (redirected(
        out,
        a -> PrefixReply.newBuilder().setOutcome(Outcome.NOT_LEADER).setLeaderAddress(a).build())) {
      return;
    }
    if (peer.starting()) {
      reply(out, PrefixReply.newBuilder().setOutcome(Outcome.STARTING).build());
      return;
    }
    run(out, () -> grants.prefix(request));
  }

  @Override
  public void releasePrefix(ReleasePrefixRequest request, StreamObserver<ReleasePrefixReply> out) {
    if (redirected(
        out,
        a ->
            ReleasePrefixReply.newBuilder()
                .setOutcome(Outcome.NOT_LEADER)
                .setLeaderAddress(a)
                .build())) {
      return;
    }
    run(
        out,
        () ->
            ReleasePrefixReply.newBuilder()
                .setOutcome(
                    submitter
                        .submit(
                            Command.newBuilder()
                                .setReleasePrefix(
                                    ReleasePrefixLease.newBuilder()
                                        .setSession(request.getSession())
                                        .setBucket(request.getBucket())
                                        .setPrefix(request.getPrefix())
                                        .setEpoch(request.getEpoch()))
                                .build())
                        .getOutcome())
                .build());
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
            .putAllBucketOrigins(peer.bucketOrigins())
            .addAllWriteBackBuckets(peer.writeBackBuckets())
            .putAllBucketPolicies(peer.bucketPolicies())
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
