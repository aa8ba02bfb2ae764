package dev.leasehold.coordinator;

import dev.leasehold.protocol.AcquireRequest;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.DirtyElement;
import dev.leasehold.protocol.ExpireSession;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.ProtocolVersions;
import dev.leasehold.protocol.Recall;
import dev.leasehold.protocol.RecallsRequest;
import dev.leasehold.protocol.ReconfigureReply;
import dev.leasehold.protocol.ReconfigureRequest;
import dev.leasehold.protocol.RegisterReply;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.RenewReply;
import dev.leasehold.protocol.RenewRequest;
import dev.leasehold.protocol.RenewSession;
import dev.leasehold.protocol.SiteEntry;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.protocol.StatusRequest;
import dev.leasehold.tls.Caller;
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
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What sites call: the coordinator's gRPC service. Every request comes through {@link #call}, one
 * path: only the leader serves, and any other peer answers {@code NOT_LEADER} with the leader's
 * client address, so a site may call any peer. A request that is a command of the log goes through
 * the log as it is ({@link Submitter}) and is answered with the command's result; the waiting the
 * rules need when a lease is asked for (a READ waits out a write in progress; a WRITE recalls the
 * readers and waits for them) is {@link Grants}'. Adding an operation is a command, the table part
 * that applies it and the site's caller; here, only its name in {@link #SITE_COMMANDS}.
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
    Map<String, SiteEntry> siteAddresses();

    /** The site a live session belongs to, or empty if this peer knows no such session. */
    String siteOf(long session);

    /** The client address of each peer that announced itself, by id. */
    Map<String, String> peerAddresses();

    /** The bucket → origin table. */
    Map<String, String> bucketOrigins();

    /** The write-back buckets. */
    java.util.List<String> writeBackBuckets();

    /** The buckets whose redirect policy is not adaptive. */
    Map<String, String> bucketPolicies();

    /** The renewals applied of a live session, -1 if this peer knows no such session. */
    long renewals(long session);

    /** An operator's change of the group; the group after it. */
    ReconfigureReply reconfigure(ReconfigureRequest request) throws IOException;
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

  /** The commands a site may send as they are; the others are the leader's own. */
  private static final Set<Command.CommandCase> SITE_COMMANDS =
      EnumSet.of(
          Command.CommandCase.COMMIT,
          Command.CommandCase.ABORT,
          Command.CommandCase.RELEASE,
          Command.CommandCase.MARK_CLEAN,
          Command.CommandCase.RECLAIM,
          Command.CommandCase.DECLARE_LOST,
          Command.CommandCase.OVERLAY,
          Command.CommandCase.SET_BUCKET_MODE,
          Command.CommandCase.BIND_BUCKET,
          Command.CommandCase.SET_BUCKET_SETTING,
          Command.CommandCase.INSPECT,
          Command.CommandCase.RELEASE_PREFIX);

  /**
   * Every request of a site, on one path: off the leader, {@code NOT_LEADER} with the leader's
   * address; else the request's own work (a registration, a renewal, a grant's waits) or its
   * command through the log, answered with the command's result.
   */
  @Override
  public void call(SiteRequest request, StreamObserver<SiteReply> out) {
    Caller caller = CallerInterceptor.caller();
    if (caller != null) {
      String refusal = CallerRules.refusal(caller, request, peer::siteOf);
      if (refusal != null) {
        LOG.warn("refused: {}", refusal);
        out.onError(Status.PERMISSION_DENIED.withDescription(refusal).asRuntimeException());
        return;
      }
    }
    if (!peer.isLeader()) {
      reply(
          out,
          SiteReply.newBuilder()
              .setOutcome(Outcome.NOT_LEADER)
              .setLeaderAddress(peer.leaderAddress())
              .build());
      return;
    }
    run(out, () -> answer(request));
  }

  private SiteReply answer(SiteRequest request) throws IOException, InterruptedException {
    return switch (request.getRequestCase()) {
      case REGISTER -> register(request.getRegister());
      case RENEW -> renew(request.getRenew());
      case ACQUIRE -> acquire(request.getAcquire());
      case ACQUIRE_PREFIX ->
          peer.starting() ? starting() : grants.prefix(request.getAcquirePrefix());
      case COMMAND -> command(request.getCommand());
      case END_SESSION -> endSession(request.getEndSession().getSession());
      case REQUEST_NOT_SET -> throw new IllegalArgumentException("an empty request");
    };
  }

  /**
   * A site's graceful stop ends its session (docs/protocol.md, Sessions 6), logged as the {@code
   * ExpireSession} that every release applies alike, naming the renewals applied so far: a renewal
   * that races it keeps the session, which then expires as usual. OK once the session is gone.
   */
  private SiteReply endSession(long session) throws IOException {
    long renewals = peer.renewals(session);
    if (renewals < 0) {
      return SiteReply.newBuilder().setOutcome(Outcome.NO_SESSION).build();
    }
    String site = peer.siteOf(session);
    submitter.submit(
        Command.newBuilder()
            .setExpire(ExpireSession.newBuilder().setSession(session).setRenewalsSeen(renewals))
            .build());
    boolean ended = peer.renewals(session) < 0;
    if (ended) {
      LOG.info("session {} of site {} ended by its site", session, site);
    }
    return SiteReply.newBuilder().setOutcome(ended ? Outcome.OK : Outcome.BUSY).build();
  }

  private SiteReply register(RegisterRequest request) throws IOException {
    int version = ProtocolVersions.of(request.getProtocolVersion());
    if (version < ProtocolVersions.OLDEST) {
      throw new IllegalArgumentException(
          "site "
              + request.getSite()
              + " speaks protocol "
              + version
              + "; this coordinator speaks "
              + ProtocolVersions.OLDEST
              + " to "
              + ProtocolVersions.CURRENT
              + " (docs/operations.md, Upgrading)");
    }
    requireEndpoint("address", request.getAddress());
    requireEndpoint("peer_address", request.getPeerAddress());
    CommandResult r =
        submitter.submit(
            Command.newBuilder()
                .setRegister(
                    RegisterSession.newBuilder()
                        .setSite(request.getSite())
                        .setAddress(request.getAddress())
                        .setPeerAddress(request.getPeerAddress())
                        .setPeerSecret(randomSecret())
                        .setSession(randomSessionId()))
                .build());
    return SiteReply.newBuilder()
        .setOutcome(r.getOutcome())
        .setRegister(
            RegisterReply.newBuilder()
                .setSession(r.getSession())
                .setTtlMillis(settings.ttl().toMillis())
                .setDrift(settings.drift())
                .addAllOverlayBuckets(r.getOverlayBucketsList())
                .setSettingsChanges(r.getSettingsChanges())
                // Over mutual TLS sites call each other with their certificates: no secret.
                .setPeerSecret(CallerInterceptor.caller() == null ? r.getPeerSecret() : "")
                .setStarting(peer.starting())
                .setProtocolVersion(ProtocolVersions.CURRENT))
        .build();
  }

  /**
   * A registered address is {@code http(s)://host:port} and nothing else (or empty): other sites
   * and operators' dashboards call it, so it may not carry a path, a query or credentials.
   */
  static void requireEndpoint(String field, String address) {
    if (address.isEmpty()) {
      return;
    }
    java.net.URI u;
    try {
      u = new java.net.URI(address);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(field + " is not a URI: " + e.getMessage());
    }
    boolean ok =
        ("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
            && u.getHost() != null
            && u.getPort() > 0
            && u.getRawUserInfo() == null
            && (u.getRawPath() == null || u.getRawPath().isEmpty())
            && u.getRawQuery() == null
            && u.getRawFragment() == null;
    if (!ok) {
      throw new IllegalArgumentException(
          field + " must be http(s)://host:port and nothing else, not '" + address + "'");
    }
  }

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private static String randomSecret() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return java.util.HexFormat.of().formatHex(bytes);
  }

  /** A session id no caller can guess: 63 random bits, never 0. */
  private static long randomSessionId() {
    long id;
    do {
      id = RANDOM.nextLong() & Long.MAX_VALUE;
    } while (id == 0);
    return id;
  }

  private SiteReply renew(RenewRequest request) throws IOException {
    CommandResult r =
        submitter.submit(
            Command.newBuilder()
                .setRenew(RenewSession.newBuilder().setSession(request.getSession()))
                .build());
    return SiteReply.newBuilder()
        .setOutcome(r.getOutcome())
        .setRenew(
            RenewReply.newBuilder()
                .addAllOverlayBuckets(r.getOverlayBucketsList())
                .setStarting(peer.starting())
                .setChanges(r.getChanges())
                .setSettingsChanges(r.getSettingsChanges()))
        .build();
  }

  private SiteReply acquire(AcquireRequest request) throws IOException, InterruptedException {
    if (peer.starting()) {
      return starting();
    }
    Span span =
        tracer
            .spanBuilder(
                "coordinator acquire " + (request.getMode() == Mode.WRITE ? "write" : "read"))
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("leasehold.session", request.getSession())
            .startSpan();
    try (Scope scope = span.makeCurrent()) {
      return request.getMode() == Mode.WRITE ? grants.write(request) : grants.read(request);
    } finally {
      span.end();
    }
  }

  private static SiteReply starting() {
    return SiteReply.newBuilder().setOutcome(Outcome.STARTING).build();
  }

  /** A command of the log as the site sent it, of the kinds a site may send. */
  private SiteReply command(Command command) throws IOException {
    if (!SITE_COMMANDS.contains(command.getCommandCase())) {
      throw new IllegalArgumentException("a site may not send " + command.getCommandCase());
    }
    if (CallerRules.OPERATOR_COMMANDS.contains(command.getCommandCase())) {
      Caller caller = CallerInterceptor.caller();
      LOG.warn(
          "{} asked by {}: {}",
          command.getCommandCase(),
          caller == null ? "a caller on the loopback-only plain port" : caller,
          command.toString().replace('\n', ' ').trim());
    }
    CommandResult r = submitter.submit(command);
    if (command.hasCommit() && command.getCommit().getDirty() && r.getOutcome() == Outcome.OK) {
      grants.wrote(command.getCommit().getElement()); // the adaptive policy redirects a while
    }
    if (command.hasDeclareLost()) {
      reportLost(command.getDeclareLost().getSite(), r);
    }
    return SiteReply.newBuilder().setOutcome(r.getOutcome()).setResult(r).build();
  }

  /** Declaring a site lost loses data: each element and prefix, in the log, at ERROR. */
  private static void reportLost(String site, CommandResult r) {
    for (DirtyElement d : r.getDirtyList()) {
      LOG.error(
          "site {} declared lost: the unflushed version {} of {}/{} is lost",
          site,
          d.getVersion().getVersion(),
          d.getBucket(),
          d.getKey());
    }
    for (String p : r.getLostPrefixesList()) {
      LOG.error(
          "site {} declared lost: what it wrote under its prefix lease {} and did not flush is"
              + " lost",
          site,
          p);
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
  public void recalls(RecallsRequest request, StreamObserver<Recall> out) {
    // Whose stream it is, first, at any peer: a stream is its session's site's alone.
    long session = request.getSession();
    Caller caller = CallerInterceptor.caller();
    String refusal =
        caller == null ? null : CallerRules.recallsRefusal(caller, session, peer::siteOf);
    if (refusal != null) {
      LOG.warn("refused: {}", refusal);
      out.onError(Status.PERMISSION_DENIED.withDescription(refusal).asRuntimeException());
      return;
    }
    if (!peer.isLeader()) {
      out.onError(
          Status.FAILED_PRECONDITION
              .withDescription("not leader; leader at " + peer.leaderAddress())
              .asRuntimeException());
      return;
    }
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
            .addAllSites(peer.siteAddresses().values())
            .build());
  }

  /**
   * An operator's change of the group ({@link CoordinatorPeer#reconfigure}): over mutual TLS only
   * from an operator's certificate; on a plain port (loopback only) from whoever can reach it, as
   * every call there.
   */
  @Override
  public void reconfigure(ReconfigureRequest request, StreamObserver<ReconfigureReply> out) {
    Caller caller = CallerInterceptor.caller();
    if (caller != null && !caller.isOperator()) {
      String refusal = caller + " may not change the coordinator group: operators only";
      LOG.warn("refused: {}", refusal);
      out.onError(Status.PERMISSION_DENIED.withDescription(refusal).asRuntimeException());
      return;
    }
    try {
      reply(out, peer.reconfigure(request));
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    } catch (IOException e) {
      LOG.warn("a change of the coordinator group failed: {}", e.getMessage());
      out.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
    } catch (RuntimeException e) {
      LOG.error("a change of the coordinator group failed unexpectedly", e);
      out.onError(Status.INTERNAL.withDescription(String.valueOf(e)).asRuntimeException());
    }
  }

  /** Something to answer with, which may fail to reach the group. */
  @FunctionalInterface
  private interface Answer<T> {
    T get() throws IOException, InterruptedException;
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
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
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
