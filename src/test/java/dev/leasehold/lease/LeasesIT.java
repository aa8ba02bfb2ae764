package dev.leasehold.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Error;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.RecordingOrigin;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeletedObject;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The lease protocol across three sites and a coordinator, on real sockets: what a lease saves,
 * what a write waits for, and what a site does when it cannot reach the coordinator.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LeasesIT {
  /**
   * Sessions that do not lapse on a busy machine: a lapsed session voids every lease a site holds,
   * and the tests that count calls would count the ones taking them back.
   */
  static final Duration TTL = Duration.ofSeconds(10);

  /** Short sessions, for the tests that wait for a session to run out ({@link ShortSessions}). */
  static final Duration SHORT_TTL = Duration.ofSeconds(2);

  /** A test whose cluster's sessions last {@link #SHORT_TTL}: it waits one out. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.METHOD)
  @interface ShortSessions {}

  LocalCluster cluster;
  S3Client a;
  S3Client b;
  String bucket;

  @BeforeEach
  void start(TestInfo test) {
    boolean shortSessions =
        test.getTestMethod().map(m -> m.isAnnotationPresent(ShortSessions.class)).orElse(false);
    cluster = LocalCluster.builder().sites(3).ttl(shortSessions ? SHORT_TTL : TTL).start();
    a = cluster.client(0);
    b = cluster.client(1);
    bucket = Data.bucket(a);
  }

  /**
   * A write is answered before its commit (docs/protocol.md, The commit behind the answer). With
   * every commit of site A refused, A's writes are still acknowledged, since the origin has them,
   * and the commit's failure leaves the version unknown, so reads anywhere ask the origin: after
   * the answer, A and B both read the write, never the version before it.
   */
  @Test
  void aWriteWhoseCommitBehindTheAnswerFailsIsStillReadEverywhere() {
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("before"));
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("before"); // B holds READ on the version before
    long refusedBefore = cluster.link(0).dropped();
    cluster.link(0).refuse("Commit", true);
    try {
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("after"));
      assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("after");
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("after");
      assertThat(cluster.link(0).dropped())
          .as("A's commits were refused")
          .isGreaterThan(refusedBefore);
    } finally {
      cluster.link(0).refuse("Commit", false);
    }
    // Healed: a last write, read at every site.
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("last"));
    for (int i = 0; i < cluster.size(); i++) {
      try (S3Client s3 = cluster.client(i)) {
        assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
            .isEqualTo("last");
      }
    }
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    cluster.close();
  }

  @Test
  void aCachedReadUnderALeaseMakesNoCoordinatorOrOriginCall() {
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("leased"));
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("leased");
    RecordingOrigin origin = cluster.origin(1);
    long registers = cluster.link(1).calls("Register");
    long acquires = cluster.link(1).calls("Acquire");
    long originCalls =
        origin.count(RecordingOrigin.Call.HEAD) + origin.count(RecordingOrigin.Call.READ);
    for (int i = 0; i < 20; i++) {
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("leased");
      b.headObject(h -> h.bucket(bucket).key("k"));
    }
    // B's session never lapsed (that would void its lease), and it asked for no grant.
    assertThat(cluster.link(1).calls("Register")).as("registrations").isEqualTo(registers);
    assertThat(cluster.link(1).calls("Acquire")).as("grants asked for").isEqualTo(acquires);
    assertThat(origin.count(RecordingOrigin.Call.HEAD) + origin.count(RecordingOrigin.Call.READ))
        .isEqualTo(originCalls);
  }

  @Test
  void aPutAtOneSiteIsSeenByTheNextGetAtAnother() {
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("one"));
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("one");
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("two"));
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("two");
    b.deleteObject(d -> d.bucket(bucket).key("k"));
    assertThatThrownBy(() -> a.getObject(g -> g.bucket(bucket).key("k")))
        .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
    b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("three"));
    assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("three");
  }

  @Test
  @ShortSessions
  void aPutWaitsOutAnUnresponsiveReaderUntilItsSessionExpiresAndNoLess() {
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("before"));
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("before");
    Leases bLeases = cluster.site(1).leases();
    assertThat(bLeases.held(bucket, "k")).isNotNull();

    cluster.link(1).cut(true); // B can neither hear the recall nor renew
    long remaining = bLeases.remainingNanos();
    long started = System.nanoTime();
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("after"));
    long waited = System.nanoTime() - started;

    // Granted only once B could no longer serve under its lease: its deadline had passed.
    assertThat(bLeases.valid()).isFalse();
    assertThat(waited).isGreaterThanOrEqualTo(remaining);
    // And not much later than the coordinator's expiry of the session, ttl·(1+drift).
    assertThat(waited).isLessThan(SHORT_TTL.multipliedBy(2).plusSeconds(2).toNanos());
    assertThatThrownBy(() -> b.getObject(g -> g.bucket(bucket).key("k")))
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          assertThat(((S3Exception) e).statusCode()).isEqualTo(503);
          assertThat(((S3Exception) e).awsErrorDetails().errorCode())
              .isEqualTo("ServiceUnavailable");
        });

    cluster.link(1).cut(false);
    assertThat(bLeases.awaitSession(Duration.ofSeconds(10))).isTrue();
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("after");
  }

  @Test
  @ShortSessions
  void aSitePastItsDeadlineAnswers503AndRecovers() throws InterruptedException {
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("v");
    Leases bLeases = cluster.site(1).leases();
    cluster.link(1).cut(true);
    long deadline = System.nanoTime() + SHORT_TTL.multipliedBy(3).toNanos();
    while (bLeases.valid() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(bLeases.valid()).isFalse();
    for (Runnable call :
        new Runnable[] {
          () -> b.getObject(g -> g.bucket(bucket).key("k")),
          () -> b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("x"))
        }) {
      assertThatThrownBy(call::run)
          .isInstanceOf(S3Exception.class)
          .satisfies(e -> {
            assertThat(((S3Exception) e).statusCode()).isEqualTo(503);
            assertThat(((S3Exception) e).awsErrorDetails().errorCode())
                .isEqualTo("ServiceUnavailable");
          });
    }
    // A HEAD answer has no body to carry the code.
    assertThatThrownBy(() -> b.headObject(h -> h.bucket(bucket).key("k")))
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(503));
    cluster.link(1).cut(false);
    assertThat(bLeases.awaitSession(Duration.ofSeconds(10))).isTrue();
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("v");
  }

  @Test
  void aStaleEpochCommitIsRefused() {
    Leases leases = cluster.site(0).leases();
    WriteLease first = leases.acquireWrite(bucket, "fenced");
    leases.commit(first, null);
    // The grant ended with its commit: its epoch commits nothing more.
    assertThatThrownBy(() -> leases.commit(first, null)).isInstanceOf(StaleEpochException.class);
    WriteLease second = leases.acquireWrite(bucket, "fenced");
    assertThat(second.epoch()).isGreaterThan(first.epoch());
    WriteLease forged =
        new WriteLease(bucket, "fenced", second.session(), first.epoch(), 0, false, null);
    assertThatThrownBy(() -> leases.commit(forged, null)).isInstanceOf(StaleEpochException.class);
    leases.commit(second, null);
  }

  @Test
  void writesOfOneElementAtOneSiteTakeTurnsEachUnderItsOwnGrant() throws Exception {
    Leases leases = cluster.site(0).leases();
    WriteLease first = leases.acquireWrite(bucket, "turns");
    var second =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> leases.acquireWrite(bucket, "turns"));
    Thread.sleep(300);
    assertThat(second).isNotDone(); // the second write waits for the first to end
    leases.abort(first, false);
    WriteLease next = second.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(next.epoch()).isGreaterThan(first.epoch());
    // The first grant is over: ending it again changes nothing, and the second can commit.
    leases.abort(first, true);
    leases.commit(next, null);
    assertThat(leases.held(bucket, "turns")).isNotNull();
  }

  @Test
  void aWriteJournaledFirstIsJournaledOnlyOnceItsElementIsItsToWrite() throws Exception {
    // A write's journal entry made before the element's lock was held could be dropped as
    // superseded by a flush of an earlier write, and then be committed with no bytes anywhere
    // (WriteBackLinearizabilityIT: an unconditional GET answered 412).
    Leases leases = cluster.site(0).leases();
    WriteLease first = leases.acquireWrite(bucket, "turns");
    java.util.concurrent.CountDownLatch journaled = new java.util.concurrent.CountDownLatch(1);
    var second =
        java.util.concurrent.CompletableFuture.supplyAsync(() ->
            leases.acquireWriteDirty(
                bucket,
                "turns",
                () -> {
                  journaled.countDown();
                  throw S3Error.INTERNAL_ERROR.exception("no journal in this test");
                }));
    assertThat(journaled.await(300, java.util.concurrent.TimeUnit.MILLISECONDS))
        .as("journaled while another write held the element")
        .isFalse();
    leases.abort(first, false);
    assertThat(journaled.await(10, java.util.concurrent.TimeUnit.SECONDS))
        .as("journaled once the element was its to write")
        .isTrue();
    assertThatThrownBy(() -> second.get(10, java.util.concurrent.TimeUnit.SECONDS))
        .hasCauseInstanceOf(dev.leasehold.error.S3Exception.class);
    // What the journal threw gave the element back: the next write takes it at once.
    WriteLease next = leases.acquireWrite(bucket, "turns");
    leases.abort(next, false);
  }

  @Test
  void aReadDuringAFailedWriteAtTheSameSiteKeepsNoLease() {
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v1"));
    Leases leases = cluster.site(0).leases();
    WriteLease write = leases.acquireWrite(bucket, "k");
    // A read at the writing site sees the committed version, but holds nothing afterwards.
    assertThat(leases.acquireRead(bucket, "k").version()).isEqualTo(write.version());
    assertThat(leases.held(bucket, "k")).isNull();
    leases.abort(write, true);
    assertThat(leases.held(bucket, "k")).isNull();
    // B writes without having to wait for A (A holds nothing), and A reads B's bytes.
    b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v2"));
    assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("v2");
  }

  @Test
  void aBucketIsServedOnlyBySitesOfTheOriginItIsBoundTo() {
    Leases leases = cluster.site(0).leases();
    String origin = cluster.origin(0).describe();
    // Bound by the first site that used it (Data.bucket created it at site 0).
    assertThat(leases.admin().bindBucket(bucket, "s3://elsewhere:9000 (region us-east-1)"))
        .isEqualTo(origin);
    // A bucket bound to another origin first is refused, with a 503, by a site of this origin.
    assertThat(leases.admin().bindBucket("foreign", "s3://elsewhere:9000 (region us-east-1)"))
        .isNotEqualTo(origin);
    assertThatThrownBy(() -> b.createBucket(c -> c.bucket("foreign")))
        .isInstanceOfSatisfying(
            S3Exception.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(503);
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ServiceUnavailable");
              assertThat(e.awsErrorDetails().errorMessage()).contains("foreign");
            });
    assertThatThrownBy(() -> b.getObject(g -> g.bucket("foreign").key("k")))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(503));
    assertThat(cluster.backdoor().bucketExists("foreign")).isFalse();
  }

  @Test
  void aBatchDeleteRecallsEveryReaderAndLeavesNothingBehind() {
    List<String> keys = new java.util.ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String key = "batch/" + i;
      keys.add(key);
      a.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString(key));
      b.getObjectAsBytes(g -> g.bucket(bucket).key(key)); // B holds READ on every one
    }
    keys.add("batch/missing"); // deleting a missing key succeeds
    var deleted =
        a.deleteObjects(d ->
            d.bucket(bucket)
                .delete(del ->
                    del.objects(
                        keys.stream()
                            .map(k -> ObjectIdentifier.builder().key(k).build())
                            .toList())));
    assertThat(deleted.errors()).isEmpty();
    assertThat(deleted.deleted()).extracting(DeletedObject::key).containsExactlyElementsOf(keys);
    for (String key : keys) {
      assertThat(cluster.site(1).leases().held(bucket, key)).isNull();
      assertThatThrownBy(() -> b.getObject(g -> g.bucket(bucket).key(key)))
          .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
    }
  }
}
