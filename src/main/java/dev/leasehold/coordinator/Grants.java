package dev.leasehold.coordinator;

import dev.leasehold.protocol.AcquirePrefixLease;
import dev.leasehold.protocol.AcquireRead;
import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.AcquireRequest;
import dev.leasehold.protocol.BeginWrite;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.GrantWrite;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.PrefixReply;
import dev.leasehold.protocol.PrefixRequest;
import dev.leasehold.protocol.RecallTarget;
import dev.leasehold.protocol.RedirectPolicy;
import dev.leasehold.protocol.ReleaseLeases;
import dev.leasehold.protocol.SiteReply;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The waiting that granting a lease needs (docs/protocol.md, Leases): a READ waits out a write in
 * progress elsewhere; a WRITE recalls every other reader, in parallel, sending each recall again
 * now and then (streams reconnect), and waits until every holder has released or its session has
 * expired ({@link SessionWatch}), never less. Every decision is the {@link LeaseTable}'s, reached
 * through the log; this class only waits for the table to change ({@link Changes}).
 *
 * <p>Thread-safe: each acquisition runs on its caller's thread and keeps its state on the stack.
 */
final class Grants {
  /** The longest a grant may be waited for, whatever the site asks. */
  private static final long MAX_WAIT_MILLIS = 60_000;

  /** How long a grant may wait when the request names no wait (LeaseSettings' default). */
  private static final long DEFAULT_WAIT_MILLIS = 20_000;

  /** How often a recall is sent again to a holder that has not released (streams reconnect). */
  private static final long RESEND_NANOS = Changes.millis(1000);

  /** The adaptive policy's window (docs/protocol.md: redirect while A wrote E within it). */
  static final long REDIRECT_WINDOW_NANOS = Changes.millis(2000);

  /**
   * When each element was last committed dirty, on this peer's clock: what the adaptive policy
   * asks. Leader-local and bounded: a new leader starts with none (it recalls until the next write
   * shows it the element is hot), which changes only the policy's choice, never the consistency.
   */
  private final com.github.benmanes.caffeine.cache.Cache<dev.leasehold.protocol.Element, Long>
      lastWrites =
          com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(100_000).build();

  private final CoordinatorService.Peer peer;
  private final Submitter submitter;
  private final RecallHub recalls;
  private final Changes changes;
  private final LongSupplier nanoTime;
  private volatile @Nullable Timer recallDuration;
  private volatile Tracer tracer = OpenTelemetry.noop().getTracer("dev.leasehold.coordinator");

  Grants(
      CoordinatorService.Peer peer,
      Submitter submitter,
      RecallHub recalls,
      Changes changes,
      LongSupplier nanoTime) {
    this.peer = peer;
    this.submitter = submitter;
    this.recalls = recalls;
    this.changes = changes;
    this.nanoTime = nanoTime;
  }

  /**
   * READ: granted at once, unless a write is in progress elsewhere, which it waits out, or another
   * site owns the element (write-back), which it recalls: the owner flushes and hands over.
   */
  SiteReply read(AcquireRequest request) throws IOException, InterruptedException {
    long deadline = nanoTime.getAsLong() + waitNanos(request);
    Command command =
        Command.newBuilder()
            .setAcquireRead(
                AcquireRead.newBuilder()
                    .setSession(request.getSession())
                    .setElement(request.getElement()))
            .build();
    Map<Long, Long> lastSent = new HashMap<>();
    Map<Long, Long> readersRecalled = new HashMap<>();
    while (true) {
      Submitter.Applied applied = submitter.apply(command);
      CommandResult r = applied.result();
      // After this command's own apply (it changed the table too): wait for others' changes.
      long seen = applied.point();
      if (r.getOutcome() != Outcome.BUSY) {
        return grant(r);
      }
      if (redirects(r, request)) {
        return redirect(r);
      }
      recallOwner(r, request, lastSent);
      recallReaders(r, request, readersRecalled, nanoTime.getAsLong());
      // A write of the element is in progress elsewhere, or its owner is flushing: wait for it.
      if (!waitForChange(seen, deadline)) {
        return busy();
      }
    }
  }

  /**
   * A conflict with a site that holds WRITE: recall it (again every second, streams reconnect). For
   * a write-through writer the recall is a no-op (its write ends by itself); an owner of write-back
   * data flushes, then releases (docs/protocol.md, Leases: WRITE(E) held by A → recall).
   */
  private void recallOwner(CommandResult r, AcquireRequest request, Map<Long, Long> lastSent) {
    if (!r.getWriterHolds() || r.getWriter() == 0) {
      return;
    }
    long now = nanoTime.getAsLong();
    Long sent = lastSent.get(r.getWriter());
    if (sent == null || now - sent >= RESEND_NANOS) {
      if (r.getPrefix().isEmpty()) {
        recalls.recall(r.getWriter(), request.getElement(), Mode.WRITE, 0);
      } else {
        recalls.recallPrefix(r.getWriter(), request.getElement().getBucket(), r.getPrefix());
      }
      lastSent.put(r.getWriter(), now);
    }
  }

  /**
   * Recalls the readers {@code r} names that were not recalled within a second ({@code lastSent},
   * by holder, is when each was last sent one), in parallel, and returns when the next of them is
   * due again. A writer's claim recalls them so; so does a READ that finds the element in doubt
   * behind readers of the version before (docs/protocol.md, Writes: Doubt), as the writer that left
   * the doubt did, so that the doubt ends as soon as they answer.
   */
  private long recallReaders(
      CommandResult r, AcquireRequest request, Map<Long, Long> lastSent, long now) {
    long nextResend = now + RESEND_NANOS;
    for (int i = 0; i < r.getHoldersCount(); i++) {
      long holder = r.getHolders(i);
      Long sent = lastSent.get(holder);
      if (sent == null || now - sent >= RESEND_NANOS) {
        long readGrant = i < r.getHolderGrantsCount() ? r.getHolderGrants(i) : 0;
        recalls.recall(holder, request.getElement(), Mode.READ, readGrant);
        lastSent.put(holder, now);
        sent = now;
      }
      nextResend = Math.min(nextResend, sent + RESEND_NANOS);
    }
    return nextResend;
  }

  /**
   * A prefix WRITE lease: recalls every lease under the prefix held elsewhere (and an overlapping
   * prefix lease), in parallel, sending each again now and then, until the table grants it or the
   * wait runs out.
   */
  SiteReply prefix(PrefixRequest request) throws IOException, InterruptedException {
    long deadline =
        nanoTime.getAsLong()
            + Changes.millis(
                Math.min(
                    request.getWaitMillis() == 0 ? DEFAULT_WAIT_MILLIS : request.getWaitMillis(),
                    MAX_WAIT_MILLIS));
    Command command =
        Command.newBuilder()
            .setAcquirePrefix(
                AcquirePrefixLease.newBuilder()
                    .setSession(request.getSession())
                    .setBucket(request.getBucket())
                    .setPrefix(request.getPrefix()))
            .build();
    Map<String, Long> lastSent = new HashMap<>();
    while (true) {
      Submitter.Applied applied = submitter.apply(command);
      CommandResult r = applied.result();
      long seen = applied.point(); // after its own apply, as in read()
      if (r.getOutcome() == Outcome.BUSY && r.getWriterHolds()) {
        String target = "prefix " + r.getWriter() + " " + r.getPrefix();
        long now = nanoTime.getAsLong();
        Long sent = lastSent.get(target);
        if (sent == null || now - sent >= RESEND_NANOS) {
          recalls.recallPrefix(r.getWriter(), request.getBucket(), r.getPrefix());
          lastSent.put(target, now);
        }
      } else if (r.getOutcome() != Outcome.OK) {
        return SiteReply.newBuilder()
            .setOutcome(r.getOutcome())
            .setAcquirePrefix(PrefixReply.newBuilder().setOwner(r.getOwner()))
            .build();
      } else if (r.getMode() == Mode.WRITE || !r.getWriteBack()) {
        return SiteReply.newBuilder()
            .setOutcome(Outcome.OK)
            .setAcquirePrefix(
                PrefixReply.newBuilder().setEpoch(r.getEpoch()).setWriteBack(r.getWriteBack()))
            .build();
      } else {
        long now = nanoTime.getAsLong();
        for (RecallTarget t : r.getRecallsList()) {
          if (t.getMode() == Mode.MODE_UNSPECIFIED) {
            continue; // a write waiting for its grant: wait for it
          }
          String target = t.getSession() + " " + t.getElement().getKey() + " " + t.getMode();
          Long sent = lastSent.get(target);
          if (sent == null || now - sent >= RESEND_NANOS) {
            recalls.recall(t.getSession(), t.getElement(), t.getMode(), t.getGrant());
            lastSent.put(target, now);
          }
        }
      }
      if (!peer.isLeader()) {
        return notLeader();
      }
      if (!waitForChange(seen, deadline)) {
        return busy();
      }
    }
  }

  /**
   * WRITE: claims the element, recalls every other reader in parallel, and waits until each has
   * released or its session has expired (never less), or the request's wait runs out. Asked early,
   * a claim the table fenced is answered {@code PENDING} as soon as the recalls are sent; the site
   * asks again for the grant.
   */
  SiteReply write(AcquireRequest request) throws IOException, InterruptedException {
    long deadline = nanoTime.getAsLong() + waitNanos(request);
    long session = request.getSession();
    Command begin =
        Command.newBuilder()
            .setBeginWrite(
                BeginWrite.newBuilder()
                    .setSession(session)
                    .setElement(request.getElement())
                    .setEarly(request.getEarly()))
            .build();
    Command grant =
        Command.newBuilder()
            .setGrantWrite(
                GrantWrite.newBuilder().setSession(session).setElement(request.getElement()))
            .build();
    Map<Long, Long> lastSent = new HashMap<>();
    Map<Long, Long> ownersRecalled = new HashMap<>();
    long firstRecall = 0;
    Span recall = Span.getInvalid();
    try {
      Submitter.Applied applied = submitter.apply(begin);
      CommandResult r = applied.result();
      // After each of this claim's own commands: the waits below are for others' changes.
      long seen = applied.point();
      while (true) {
        if (r.getOutcome() == Outcome.BUSY) {
          if (redirects(r, request)) {
            return redirect(r); // BUSY claimed nothing: there is nothing to give back
          }
          recallOwner(r, request, ownersRecalled);
          // Another site holds or waits for WRITE: wait for that write to end, then claim again.
          if (!waitForChange(seen, deadline)) {
            return busy();
          }
          applied = submitter.apply(begin);
          r = applied.result();
          seen = applied.point();
          continue;
        }
        if (r.getOutcome() != Outcome.OK || r.getMode() == Mode.WRITE) {
          Timer timer = recallDuration;
          if (firstRecall != 0 && r.getMode() == Mode.WRITE && timer != null) {
            timer.record(nanoTime.getAsLong() - firstRecall, TimeUnit.NANOSECONDS);
          }
          return commitDirty(r, request);
        }
        // Readers to recall, in parallel. A holder that does not answer is waited out until its
        // session expires (SessionWatch), never less; the recall is sent again now and then, in
        // case the holder's stream was reconnecting.
        long now = nanoTime.getAsLong();
        boolean pending = request.getEarly() && r.getFenced();
        if (now - deadline >= 0 && !pending) {
          return giveUp(session, request, r);
        }
        if (firstRecall == 0) {
          firstRecall = now;
        }
        if (request.getRecalled()) {
          for (long holder : r.getHoldersList()) {
            lastSent.putIfAbsent(holder, now); // sent with the PENDING answer a moment ago
          }
        }
        long nextResend = recallReaders(r, request, lastSent, now);
        if (pending) {
          // The recalls are out: the site writes the origin while they are answered, and asks for
          // the grant again (docs/protocol.md, Writes: the origin write beside the recall). Late
          // or not: a fenced claim is the site's to end.
          return SiteReply.newBuilder()
              .setOutcome(Outcome.PENDING)
              .setAcquire(
                  AcquireReply.newBuilder().setVersion(r.getVersion()).setClaim(r.getClaim()))
              .build();
        }
        while (changes.applied() <= seen && nanoTime.getAsLong() - nextResend < 0) {
          if (!peer.isLeader()) {
            return notLeader();
          }
          long left = deadline - nanoTime.getAsLong();
          if (left <= 0) {
            return giveUp(session, request, r);
          }
          long untilResend = nextResend - nanoTime.getAsLong();
          changes.awaitAfter(
              seen, Math.max(0, Math.min(left, Math.min(untilResend, Changes.millis(200)))));
        }
        applied = submitter.apply(grant);
        r = applied.result();
        // After the claim's own apply, which changed the table too: wait for others' changes.
        seen = applied.point();
      }
    } finally {
      recall.end();
    }
  }

  /**
   * The WRITE grant {@code r}, with the request's dirty version committed under it first if it
   * asked for that and the grant allows it: write-back in effect, and the element not dirty already
   * (then the site owns it, and its journal decides). The commit is the one the site would send,
   * with the grant's epoch; if it is refused or cannot be made, the grant is answered alone.
   */
  private SiteReply commitDirty(CommandResult r, AcquireRequest request) throws IOException {
    if (r.getOutcome() != Outcome.OK
        || r.getMode() != Mode.WRITE
        || request.getDirtyJournalSeq() == 0
        || !r.getWriteBack()
        || r.getJournalSeq() != 0) {
      return grant(r);
    }
    CommandResult c =
        submitter.submit(
            Command.newBuilder()
                .setCommit(
                    CommitWrite.newBuilder()
                        .setSession(request.getSession())
                        .setElement(request.getElement())
                        .setEpoch(r.getEpoch())
                        .setVersion(request.getDirtyVersion())
                        .setDirty(true)
                        .setJournalSeq(request.getDirtyJournalSeq()))
                .build());
    if (c.getOutcome() != Outcome.OK) {
      return grant(r);
    }
    wrote(request.getElement()); // the adaptive policy redirects a while, as after a site's commit
    SiteReply committed = grant(c);
    return committed.toBuilder()
        .setAcquire(committed.getAcquire().toBuilder().setDirtyCommitted(true))
        .build();
  }

  /**
   * Out of time: gives up the claim, so that readers are admitted again; but not a fenced one
   * ({@code r}): its site may be writing the origin, so only that site (once its write ended) or
   * the end of its session withdraws it (docs/protocol.md, Writes: Doubt).
   */
  private SiteReply giveUp(long session, AcquireRequest request, CommandResult r)
      throws IOException {
    if (r.getFenced()) {
      return busy();
    }
    ReleaseLeases.Builder release =
        ReleaseLeases.newBuilder().setSession(session).addElements(request.getElement());
    if (r.getClaim() != 0) {
      release.addGrants(0).addClaims(r.getClaim()); // that claim only, should it be late
    }
    submitter.submit(Command.newBuilder().setRelease(release).build());
    return busy();
  }

  void bindTracing(Tracer tracer) {
    this.tracer = tracer;
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
    long millis = request.getWaitMillis() == 0 ? DEFAULT_WAIT_MILLIS : request.getWaitMillis();
    return Changes.millis(Math.min(millis, MAX_WAIT_MILLIS));
  }

  /** A dirty commit of {@code element} was applied: the adaptive policy redirects for a while. */
  void wrote(dev.leasehold.protocol.Element element) {
    lastWrites.put(element, nanoTime.getAsLong());
  }

  /**
   * Whether a request that met an owner elsewhere is proxied to it rather than recalling it: the
   * bucket's policy, and for adaptive whether the owner wrote the element within the window.
   */
  private boolean redirects(CommandResult r, AcquireRequest request) {
    if (!request.getRedirectable()
        || !r.getWriterHolds()
        || r.getOwnerAddress().isEmpty()
        || r.getPolicy() == RedirectPolicy.RECALL) {
      return false;
    }
    if (r.getPolicy() == RedirectPolicy.REDIRECT_ALWAYS) {
      return true;
    }
    Long last = lastWrites.getIfPresent(request.getElement());
    return last != null && nanoTime.getAsLong() - last <= REDIRECT_WINDOW_NANOS;
  }

  private static SiteReply redirect(CommandResult r) {
    return SiteReply.newBuilder()
        .setOutcome(Outcome.REDIRECT)
        .setAcquire(
            AcquireReply.newBuilder().setOwner(r.getOwner()).setOwnerAddress(r.getOwnerAddress()))
        .build();
  }

  private static SiteReply grant(CommandResult r) {
    return SiteReply.newBuilder()
        .setOutcome(r.getOutcome())
        .setAcquire(
            AcquireReply.newBuilder()
                .setMode(r.getMode())
                .setVersion(r.getVersion())
                .setEpoch(r.getEpoch())
                .setWriteBack(r.getWriteBack())
                .setJournalSeq(r.getJournalSeq())
                .setOwner(r.getOwner())
                .setClean(r.getCleanVersion())
                .setReadGrant(r.getReadGrant())
                .setChangedAt(r.getChangedAt())
                .setChanges(r.getChanges()))
        .build();
  }

  private static SiteReply busy() {
    return SiteReply.newBuilder().setOutcome(Outcome.BUSY).build();
  }

  private SiteReply notLeader() {
    return SiteReply.newBuilder()
        .setOutcome(Outcome.NOT_LEADER)
        .setLeaderAddress(peer.leaderAddress())
        .build();
  }
}
