package dev.leasehold.lease;

import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.AcquireRequest;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.protocol.VersionInfo;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;

/**
 * Asking the coordinator for an element's READ or WRITE grant, traced, with each refusal turned
 * into the exception the S3 front maps to its answer.
 *
 * <p>Thread-safe: its only mutable field, the tracer, is set once at start-up and read as a
 * volatile.
 */
final class AcquireCall {
  private final CoordinatorLink link;
  private final LeaseSettings settings;
  private final SiteSession session;
  private volatile Tracer tracer = OpenTelemetry.noop().getTracer("dev.leasehold.lease");

  AcquireCall(CoordinatorLink link, LeaseSettings settings, SiteSession session) {
    this.link = link;
    this.settings = settings;
    this.session = session;
  }

  void tracing(OpenTelemetry telemetry) {
    tracer = telemetry.getTracer("dev.leasehold.lease");
  }

  /**
   * The grant of {@code mode} on {@code bucket/key} under session {@code id}.
   *
   * @throws OwnerElsewhereException with {@code redirectable}, if another site owns the element
   * @throws LeaseUnavailableException if it was not granted
   */
  AcquireReply acquire(long id, String bucket, String key, Mode mode, boolean redirectable) {
    return acquire(request(id, bucket, key, mode).setRedirectable(redirectable));
  }

  /** WRITE asked again after a PENDING answer, whose recalls the leader sent already. */
  AcquireReply acquireAfterPending(long id, String bucket, String key) {
    return acquire(request(id, bucket, key, Mode.WRITE).setRecalled(true));
  }

  /**
   * WRITE on {@code bucket/key}, asked early: the grant (mode WRITE), or, if the coordinator must
   * recall readers first and lets this site write the origin meanwhile, a reply with no mode whose
   * version is the one to fence that write on (docs/protocol.md, Writes: the origin write beside
   * the recall). The grant is then asked for again with {@link #acquireAfterPending}.
   */
  AcquireReply acquireEarly(long id, String bucket, String key) {
    return acquire(request(id, bucket, key, Mode.WRITE).setEarly(true));
  }

  /**
   * As {@link #acquire(long, String, String, Mode, boolean)}; for WRITE with {@code dirty} (a
   * version in journal entry {@code journalSeq}), the leader commits it dirty with the grant if it
   * can ({@code dirty_committed} in the reply).
   */
  AcquireReply acquire(
      long id,
      String bucket,
      String key,
      Mode mode,
      boolean redirectable,
      VersionInfo dirty,
      long journalSeq) {
    return acquire(
        request(id, bucket, key, mode)
            .setRedirectable(redirectable)
            .setDirtyVersion(dirty)
            .setDirtyJournalSeq(journalSeq));
  }

  private AcquireRequest.Builder request(long id, String bucket, String key, Mode mode) {
    return AcquireRequest.newBuilder()
        .setSession(id)
        .setElement(Versions.element(bucket, key))
        .setMode(mode)
        .setWaitMillis(settings.acquireWait().toMillis());
  }

  private AcquireReply acquire(AcquireRequest.Builder request) {
    Span span =
        tracer
            .spanBuilder("lease acquire " + (request.getMode() == Mode.WRITE ? "write" : "read"))
            .setSpanKind(SpanKind.CLIENT)
            .startSpan();
    try (Scope scope = span.makeCurrent()) {
      AcquireReply reply = ask(request);
      span.setAttribute("leasehold.lease.version", reply.getVersion().getVersion());
      return reply;
    } catch (LeaseUnavailableException e) {
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      span.end();
    }
  }

  private AcquireReply ask(AcquireRequest.Builder request) {
    long id = request.getSession();
    String bucket = request.getElement().getBucket();
    String key = request.getElement().getKey();
    Mode mode = request.getMode();
    long wait = request.getWaitMillis();
    SiteReply answer = link.callWaiting(SiteRequest.newBuilder().setAcquire(request).build(), wait);
    AcquireReply reply = answer.getAcquire();
    Outcome outcome = answer.getOutcome();
    String element = bucket + "/" + key;
    return switch (outcome) {
      case OK -> {
        if (mode == Mode.READ) {
          session.seenChanges(id, reply.getChanges());
        }
        yield reply;
      }
      case PENDING -> {
        if (!request.getEarly()) {
          throw new LeaseUnavailableException(
              LeaseUnavailableException.Reason.UNREACHABLE,
              "The coordinator answered PENDING to a grant asked for in full.");
        }
        yield reply.toBuilder().clearMode().build();
      }
      case NO_SESSION -> {
        session.gone(id);
        throw LeaseUnavailableException.noSession();
      }
      case BUSY -> throw busy(bucket, key);
      case PREFIX_HELD ->
          throw new LeaseUnavailableException(
              LeaseUnavailableException.Reason.BUSY,
              element + " is under a prefix lease this site is taking back after a restart.");
      case REDIRECT -> throw new OwnerElsewhereException(reply.getOwner(), reply.getOwnerAddress());
      case OWNER_DOWN ->
          throw new LeaseUnavailableException(
              LeaseUnavailableException.Reason.OWNER_DOWN,
              element
                  + " has unflushed writes at site "
                  + reply.getOwner()
                  + ", which is down; it is unavailable until that site returns.");
      default ->
          throw new LeaseUnavailableException(
              LeaseUnavailableException.Reason.UNREACHABLE,
              "The coordinator is not granting leases yet (" + outcome + ").");
    };
  }

  /** A write of the element here did not end in time. */
  static LeaseUnavailableException busy(String bucket, String key) {
    return new LeaseUnavailableException(
        LeaseUnavailableException.Reason.BUSY,
        "A write of " + bucket + "/" + key + " did not finish in time.");
  }

  /** The coordinator refused a commit or flush under {@code lease}: it is no longer this site's. */
  static StaleEpochException refused(String what, WriteLease lease, Outcome outcome) {
    return new StaleEpochException(
        "the " + what + " of " + lease.bucket() + "/" + lease.key() + " was refused: " + outcome);
  }
}
