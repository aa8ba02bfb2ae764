package dev.leasehold.lease;

import dev.leasehold.protocol.EndSession;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.ProtocolVersions;
import dev.leasehold.protocol.Recall;
import dev.leasehold.protocol.RegisterReply;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.RenewReply;
import dev.leasehold.protocol.RenewRequest;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site's session with the coordinator (docs/protocol.md, Sessions): registered at start, and
 * again whenever the coordinator says it is gone; renewed every {@code ttl/3}; its local deadline
 * held by the {@link SessionClock} (past it, no lease is valid); and the recall stream the
 * coordinator pushes down, kept open to the leader for as long as the session lives.
 *
 * <p>Thread-safe: the clock is; renewals run one at a time on the timer thread, registration and
 * recall delivery on virtual threads. When the session is lost, {@code onLost} runs before the site
 * registers again.
 */
final class SiteSession {
  private static final Logger LOG = LoggerFactory.getLogger(SiteSession.class);
  private static final long ANSWER_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final CoordinatorLink link;
  private final LeaseSettings settings;
  private final SessionClock clock;
  private final ScheduledExecutorService timers;
  private final ExecutorService work;
  private final LongConsumer onLost;
  private volatile BiConsumer<Long, Recall> onRecall = (session, recall) -> {};
  private volatile LongConsumer onRegistered = session -> {};

  /** The buckets whose LISTs merge the coordinator's overlay, as its last answer named them. */
  private volatile Set<String> overlayBuckets = Set.of();

  /** The table's count of bucket setting changes, as the last answer that reported it said. */
  private volatile long settingsChanges;

  /** The namespace's peer secret, from the last registration. */
  private volatile String peerSecret = "";

  /** Whether the coordinator's last answer said it grants nothing yet (its start-up grace). */
  private volatile boolean coordinatorStarting;

  /**
   * The protocol version of the leader that answered the last registration (1 before one): the site
   * sends it no request of a newer version.
   */
  private volatile int coordinatorVersion = ProtocolVersions.OLDEST;

  /** The latest place in the coordinator's log a session's answers named, and that session. */
  private final AtomicReference<Leases.Heard> heard = new AtomicReference<>(new Leases.Heard(0, 0));

  private volatile long renewEveryNanos = TimeUnit.SECONDS.toNanos(1);
  private volatile boolean coordinatorAnswered;
  private volatile long lastAnswer;
  private volatile boolean closed;

  /** The session last logged as past its deadline, 0 if none (renewals' timer thread only). */
  private long lapsedSession;

  SiteSession(
      CoordinatorLink link,
      LeaseSettings settings,
      SessionClock clock,
      ScheduledExecutorService timers,
      ExecutorService work,
      LongConsumer onLost) {
    this.link = link;
    this.settings = settings;
    this.clock = clock;
    this.timers = timers;
    this.work = work;
    this.onLost = onLost;
  }

  /**
   * Registers in the background; recalls of the session's leases go to {@code onRecall}, and each
   * new session, once registered, to {@code onRegistered} (on a virtual thread).
   */
  void start(BiConsumer<Long, Recall> onRecall, LongConsumer onRegistered) {
    this.onRecall = onRecall;
    this.onRegistered = onRegistered;
    background(this::register);
  }

  String peerSecret() {
    return peerSecret;
  }

  /** The count of bucket setting changes the coordinator last reported ({@link BucketSettings}). */
  long settingsChanges() {
    return settingsChanges;
  }

  /** Whether a LIST in {@code bucket} must merge the overlay (docs/protocol.md, Listing). */
  boolean overlaid(String bucket) {
    return overlayBuckets.contains(bucket);
  }

  /** The current session's id (0 before the first registration). */
  long current() {
    return clock.session();
  }

  /** Whether the site has a session and is within its deadline now. */
  boolean valid() {
    return clock.valid(clock.session());
  }

  /** Whether {@code session} is the current session and within its deadline now. */
  boolean valid(long session) {
    return clock.valid(session);
  }

  /** Nanoseconds until the local deadline (negative once past). */
  long remainingNanos() {
    return clock.remainingNanos();
  }

  /** Waits until the site has a valid session, up to {@code timeout}; whether it has one. */
  boolean await(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!valid() && System.nanoTime() - deadline < 0) {
      pause(20);
    }
    return valid();
  }

  /**
   * Whether the coordinator answered the site's last call to register or renew, and did so within
   * the last renewal interval (ttl/3, plus a quarter of it, at least 250 ms, for the round trip): a
   * coordinator outage shows here within one renewal interval, well before the session's deadline.
   */
  boolean coordinatorReachable() {
    long slack = Math.max(ANSWER_SLACK_NANOS, renewEveryNanos / 4);
    return coordinatorAnswered && clock.now() - lastAnswer <= renewEveryNanos + slack;
  }

  /**
   * Whether the coordinator's last answer said it grants no lease yet: it started with a new table
   * and waits out the leases an earlier life of it may have granted.
   */
  boolean coordinatorStarting() {
    return coordinatorStarting;
  }

  /** An answer to {@code session} was applied at {@code point} of the coordinator's log. */
  void seenChanges(long session, long point) {
    heard.accumulateAndGet(
        new Leases.Heard(session, point),
        (held, next) ->
            held.session() == next.session()
                ? (next.point() > held.point() ? next : held)
                : (next.session() == clock.session() ? next : held));
  }

  /**
   * The latest place in the coordinator's log an answer to the current session named: every change
   * of the table up to it was applied before now (docs/protocol.md, Reads: a version the table does
   * not know). Nothing heard (0) before the first such answer, and again with a new session (it may
   * be a new table's).
   */
  Leases.Heard heard() {
    Leases.Heard h = heard.get();
    long current = clock.session();
    return h.session() == current && current != 0 ? h : new Leases.Heard(current, 0);
  }

  /** The coordinator said {@code session} is gone: drop it and register anew. */
  void gone(long session) {
    lose(session);
    background(this::register);
  }

  /**
   * The current session, if it is valid now.
   *
   * @throws LeaseUnavailableException (no session) otherwise: the site answers 503
   */
  long require() {
    long session = current();
    if (!valid(session)) {
      throw LeaseUnavailableException.noSession();
    }
    return session;
  }

  /** Stops renewing; the session lapses at its deadline (the coordinator expires it later). */
  void close() {
    closed = true;
  }

  /**
   * Stops renewing and ends the session at the coordinator (docs/protocol.md, Sessions 6): its
   * leases are dropped here first, then at the table, so grants waiting on them go ahead now rather
   * than a TTL later. The caller serves nothing more. Whether the coordinator ended it; if not, it
   * expires as after a crash.
   */
  boolean end() {
    closed = true;
    long session = clock.session();
    if (session == 0 || !clock.valid(session)) {
      return false;
    }
    if (coordinatorVersion < ProtocolVersions.END_SESSION) {
      LOG.info(
          "site {}: the coordinator speaks protocol {}, without EndSession; session {} expires a"
              + " TTL after its last renewal",
          settings.site(),
          coordinatorVersion,
          session);
      return false;
    }
    clock.lost(session);
    onLost.accept(session);
    try {
      Outcome outcome =
          link.call(
                  SiteRequest.newBuilder()
                      .setEndSession(EndSession.newBuilder().setSession(session))
                      .build(),
                  CoordinatorLink.CALL_MILLIS,
                  CoordinatorLink.CALL_MILLIS)
              .getOutcome();
      boolean ended = outcome == Outcome.OK;
      LOG.info("site {} ended session {}: {}", settings.site(), session, outcome);
      return ended;
    } catch (RuntimeException e) {
      LOG.warn(
          "site {} could not end session {} (it expires a TTL from its last renewal): {}",
          settings.site(),
          session,
          e.toString());
      return false;
    }
  }

  private void register() {
    while (!closed) {
      long sent = clock.now();
      try {
        SiteReply answer =
            link.call(
                SiteRequest.newBuilder()
                    .setRegister(
                        RegisterRequest.newBuilder()
                            .setSite(settings.site())
                            .setAddress(settings.address())
                            .setPeerAddress(settings.peerAddress())
                            .setProtocolVersion(ProtocolVersions.CURRENT))
                    .build(),
                CoordinatorLink.CALL_MILLIS,
                CoordinatorLink.CALL_MILLIS);
        answered();
        RegisterReply reply = answer.getRegister();
        if (answer.getOutcome() == Outcome.OK) {
          long ttl = TimeUnit.MILLISECONDS.toNanos(reply.getTtlMillis());
          overlayBuckets = Set.copyOf(reply.getOverlayBucketsList());
          settingsChanges = reply.getSettingsChanges();
          peerSecret = reply.getPeerSecret();
          coordinatorStarting = reply.getStarting();
          coordinatorVersion = ProtocolVersions.of(reply.getProtocolVersion());
          clock.started(reply.getSession(), sent, ttl, reply.getDrift());
          renewEveryNanos = ttl / 3;
          LOG.info("site {} has session {}", settings.site(), reply.getSession());
          later(this::renew, renewEveryNanos);
          openRecalls(reply.getSession());
          long session = reply.getSession();
          background(() -> onRegistered.accept(session));
          return;
        }
      } catch (LeaseUnavailableException e) {
        coordinatorAnswered = false;
        LOG.debug("registering with the coordinator: {}", e.getMessage());
      }
      pause(500);
    }
  }

  private void renew() {
    long session = clock.session();
    if (closed || session == 0) {
      return;
    }
    long sent = clock.now();
    try {
      long millis = Math.max(200, TimeUnit.NANOSECONDS.toMillis(renewEveryNanos));
      SiteReply answer =
          link.call(
              SiteRequest.newBuilder()
                  .setRenew(RenewRequest.newBuilder().setSession(session))
                  .build(),
              millis,
              millis);
      answered();
      noteLapse(session); // before the renewal moves the deadline: it may have passed meanwhile
      RenewReply reply = answer.getRenew();
      if (answer.getOutcome() == Outcome.OK) {
        overlayBuckets = Set.copyOf(reply.getOverlayBucketsList());
        settingsChanges = reply.getSettingsChanges();
        seenChanges(session, reply.getChanges());
        coordinatorStarting = reply.getStarting();
        clock.renewed(session, sent);
        if (lapsedSession == session && clock.valid(session)) {
          lapsedSession = 0;
          LOG.warn("site {}: session {} renewed; serving again", settings.site(), session);
        }
      } else if (answer.getOutcome() == Outcome.NO_SESSION) {
        gone(session);
        return;
      }
    } catch (LeaseUnavailableException e) {
      coordinatorAnswered = false;
      LOG.debug("renewing session {}: {}", session, e.getMessage());
      noteLapse(session);
    }
    if (!closed) {
      // Renew again ttl/3 after this attempt began, or at once if it took longer than that.
      long next = Math.max(0, renewEveryNanos - (clock.now() - sent));
      later(this::renew, next);
    }
  }

  /** Logs, once, that {@code session} is past its deadline (timer thread only). */
  private void noteLapse(long session) {
    if (lapsedSession != session && !clock.valid(session) && clock.session() == session) {
      lapsedSession = session;
      LOG.warn(
          "site {}: session {} is past its deadline (the coordinator has not answered its renewals"
              + " in time); requests that need a lease get 503 until it does",
          settings.site(),
          session);
    }
  }

  private void answered() {
    lastAnswer = clock.now();
    coordinatorAnswered = true;
  }

  /** The session is gone: every lease under it is void. */
  private void lose(long session) {
    LOG.warn("site {} lost session {}", settings.site(), session);
    clock.lost(session);
    onLost.accept(session);
  }

  private void openRecalls(long session) {
    if (closed || clock.session() != session) {
      return;
    }
    link.openRecalls(
        session,
        new StreamObserver<Recall>() {
          @Override
          public void onNext(Recall recall) {
            onRecall.accept(session, recall);
          }

          @Override
          public void onError(Throwable t) {
            LOG.debug("recall stream of session {} ended: {}", session, t.toString());
            link.rotate();
            later(() -> openRecalls(session), TimeUnit.MILLISECONDS.toNanos(200));
          }

          @Override
          public void onCompleted() {
            later(() -> openRecalls(session), TimeUnit.MILLISECONDS.toNanos(200));
          }
        });
  }

  /** Runs {@code task} after {@code nanos}, unless the site is closing. */
  private void later(Runnable task, long nanos) {
    try {
      timers.schedule(task, nanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closed: nothing more to do
    }
  }

  /** Runs {@code task} on a virtual thread, unless the site is closing. */
  private void background(Runnable task) {
    try {
      work.execute(task);
    } catch (RejectedExecutionException e) {
      // closed: nothing more to do
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
