package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.cli.Setting;
import dev.leasehold.coordinator.CoordinatorPeer;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.origin.Origin;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.testkit.CoordinatorStatus;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Partition;
import dev.leasehold.testkit.RecordingOrigin;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Write-back buckets end to end (docs/protocol.md, Writes, Ownership, Listing): three sites, one
 * coordinator, a directory origin, real sockets. A put is acknowledged from the owner's journal;
 * reads elsewhere recall the owner, which flushes first; LIST everywhere includes unflushed writes;
 * an owner that is down makes its elements unavailable, never stale, until it returns or is
 * declared lost; the flusher outlasts an origin outage.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WriteBackIT {
  /** The sessions of {@link #cluster(String)}: short, so a killed owner's session ends soon. */
  static final Duration TTL = Duration.ofSeconds(2);

  /**
   * Sessions that do not lapse on a busy machine, for tests that count coordinator calls: a lapsed
   * session voids what the site holds, and taking it back costs calls the test did not mean.
   */
  static final Duration LONG_TTL = Duration.ofSeconds(10);

  /**
   * A read sent this soon after the owner's put reaches the coordinator well inside its redirect
   * window (Grants.REDIRECT_WINDOW_NANOS, 2 s after the write), unless the machine stalls.
   */
  static final Duration WITHIN_REDIRECT_WINDOW = Duration.ofSeconds(1);

  static LocalCluster cluster(String flushDelay) {
    return cluster(flushDelay, TTL);
  }

  static LocalCluster cluster(String flushDelay, Duration ttl) {
    return LocalCluster.builder().sites(3).ttl(ttl).set(Setting.FLUSH_DELAY, flushDelay).start();
  }

  /** Makes {@code bucket} write-back and waits until a put at site 0 is journaled. */
  static void writeBack(LocalCluster cluster, String bucket) {
    writeBack(cluster, bucket, "recall");
  }

  /** The same, with a redirect policy: adaptive, redirect or recall. */
  static void writeBack(LocalCluster cluster, String bucket, String policy) {
    cluster.site(0).leases().admin().setWriteMode(bucket, true, policy);
    try (S3Client a = cluster.client(0)) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            a.putObject(p -> p.bucket(bucket).key("probe"), RequestBody.fromString("p"));
            return cluster.site(0).leases().owned(bucket, "probe") != null;
          });
    }
  }

  static @Nullable String atOrigin(Origin origin, String bucket, String key) {
    try {
      return origin.head(bucket, key).etag();
    } catch (S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_KEY) {
        return null;
      }
      throw e;
    }
  }

  /** Declares {@code site} lost once its session has expired (refused before). */
  static List<String> declareLost(LocalCluster cluster, String site) {
    @SuppressWarnings("unchecked")
    List<String>[] lost = new List[1];
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .ignoreException(IllegalArgumentException.class)
        .until(() -> {
          lost[0] = cluster.site(1).leases().admin().declareLost(site);
          return true;
        });
    return lost[0];
  }

  /**
   * Waits, up to 20 s, until the coordinator has expired the session of {@code site} (one that was
   * killed): its Status no longer names the site among those with a session.
   */
  static void awaitSessionOver(LocalCluster cluster, String site) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .ignoreException(StatusRuntimeException.class)
        .until(
            () -> status(cluster).getSitesList().stream().noneMatch(s -> s.getSite().equals(site)));
  }

  /** The Status of the coordinator peer that leads now. */
  private static StatusReply status(LocalCluster cluster) {
    CoordinatorPeer leader = cluster.coordinators().get(cluster.leader());
    return CoordinatorStatus.of(leader.clientAddress(), Duration.ofSeconds(5));
  }

  /** The S3 error a client call fails with (the test fails if it does not fail so). */
  static software.amazon.awssdk.services.s3.model.S3Exception sdkFailure(
      org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    return dev.leasehold.testkit.S3Errors.of(call);
  }

  static String get(S3Client s3, String bucket, String key) {
    return s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asUtf8String();
  }

  @Test
  void aPutIsAcknowledgedFromTheJournalAndARecallFlushesItBeforeHandingOver() {
    try (LocalCluster cluster = cluster("1h");
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      writeBack(cluster, bucket);
      String etag =
          a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("dirty")).eTag();
      assertThat(etag).isEqualTo('"' + Data.md5Hex("dirty".getBytes()) + '"');
      // Acknowledged, and not at the origin: it is in site 0's journal.
      assertThat(atOrigin(cluster.backdoor(), bucket, "k")).isNull();
      assertThat(cluster.origin(0).count(RecordingOrigin.Call.PUT, bucket, "k")).isZero();
      assertThat(get(a, bucket, "k")).isEqualTo("dirty");
      assertThat(cluster.origin(0).count(RecordingOrigin.Call.READ, bucket, "k")).isZero();

      // A read at site 1 recalls the owner: it flushes, hands over, and site 1 reads the new bytes.
      assertThat(get(b, bucket, "k")).isEqualTo("dirty");
      assertThat(atOrigin(cluster.backdoor(), bucket, "k"))
          .isEqualTo(Data.md5Hex("dirty".getBytes()));
      assertThat(cluster.site(0).leases().owned(bucket, "k")).isNull();

      // A write at site 1 now makes site 1 the owner; site 0 reads it through a recall.
      b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("second"));
      assertThat(cluster.site(1).leases().owned(bucket, "k")).isNotNull();
      assertThat(get(a, bucket, "k")).isEqualTo("second");
      assertThat(get(cluster.client(2), bucket, "k")).isEqualTo("second");
    }
  }

  @Test
  void aReadElsewhereIsRedirectedToTheOwnerWithItsRangesConditionsAndErrors() {
    try (LocalCluster cluster = cluster("1h");
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      writeBack(cluster, bucket, "redirect");
      String body = "0123456789abcdefghij";
      String etag =
          a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString(body)).eTag();
      a.putObject(p -> p.bucket(bucket).key("gone"), RequestBody.fromString("x"));
      a.deleteObject(d -> d.bucket(bucket).key("gone"));

      var ranged = b.getObjectAsBytes(g -> g.bucket(bucket).key("k").range("bytes=2-5"));
      assertThat(ranged.asUtf8String()).isEqualTo("2345");
      assertThat(ranged.response().contentRange()).isEqualTo("bytes 2-5/20");
      assertThat(ranged.response().eTag()).isEqualTo(etag);
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo(body);
      assertThat(b.headObject(h -> h.bucket(bucket).key("k")).contentLength()).isEqualTo(20);
      assertThat(
              sdkFailure(() -> b.getObject(g -> g.bucket(bucket).key("k").ifNoneMatch(etag)))
                  .statusCode())
          .isEqualTo(304);
      assertThat(
              sdkFailure(() -> b.getObject(g -> g.bucket(bucket).key("k").ifMatch("\"nope\"")))
                  .awsErrorDetails()
                  .errorCode())
          .isEqualTo("PreconditionFailed");
      assertThat(
              sdkFailure(() -> b.getObject(g -> g.bucket(bucket).key("k").range("bytes=50-60")))
                  .awsErrorDetails()
                  .errorCode())
          .isEqualTo("InvalidRange");
      assertThatThrownBy(() -> b.getObject(g -> g.bucket(bucket).key("gone")))
          .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);

      // Proxied, not recalled: site 0 still owns the object, unflushed; site 1 keeps nothing.
      assertThat(cluster.site(0).leases().owned(bucket, "k")).isNotNull();
      assertThat(atOrigin(cluster.backdoor(), bucket, "k")).isNull();
      assertThat(cluster.site(1).leases().held(bucket, "k")).isNull();
      assertThat(cluster.site(1).cache().size()).isZero();
    }
  }

  /**
   * A redirect names the owner, and the next reads of the object at that site ask the owner
   * straight, with no call to the coordinator. Once the owner has handed the object over (a write
   * elsewhere recalled it), it refuses, and the reader asks the coordinator again: it reads the new
   * write, never the one before.
   */
  @Test
  void aRedirectedReaderAsksTheOwnerStraightUntilItNoLongerOwns() {
    try (LocalCluster cluster = cluster("1h", LONG_TTL);
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1);
        S3Client c = cluster.client(2)) {
      String bucket = Data.bucket(a);
      writeBack(cluster, bucket, "redirect");
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("first"));
      boolean straight = false;
      for (int attempt = 0; attempt < 3 && !straight; attempt++) {
        assertThat(get(b, bucket, "k")).isEqualTo("first"); // redirected: names the owner
        long learned = System.nanoTime();
        long acquires = cluster.link(1).calls("Acquire");
        for (int i = 0; i < 3; i++) {
          assertThat(get(b, bucket, "k")).isEqualTo("first");
        }
        long asked = cluster.link(1).calls("Acquire") - acquires;
        // Within the window the owner is asked straight (a stalled machine may outlast it).
        if (System.nanoTime() - learned < ReadPath.OWNER_HINT.toNanos()) {
          assertThat(asked).as("grants asked for by reads sent straight to the owner").isZero();
          straight = true;
        }
      }
      assertThat(straight).as("three reads within %s of a redirect", ReadPath.OWNER_HINT).isTrue();
      assertThat(cluster.site(1).leases().held(bucket, "k")).isNull();

      c.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("second"));
      assertThat(cluster.site(0).leases().owned(bucket, "k")).as("recalled from A").isNull();
      long acquires = cluster.link(1).calls("Acquire");
      assertThat(get(b, bucket, "k")).isEqualTo("second");
      assertThat(cluster.link(1).calls("Acquire"))
          .as("A refused, so B asked the coordinator")
          .isGreaterThan(acquires);
    }
  }

  @Test
  void adaptiveRedirectsWhileTheOwnerWritesAndRecallsOnceItIsQuiet() {
    try (LocalCluster cluster = cluster("1h");
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      writeBack(cluster, bucket, "adaptive");
      // Redirected while the owner writes: a read that reaches the coordinator within the window of
      // A's put. One sent soon after the put does, unless the machine stalled: then put again.
      boolean redirected = false;
      for (int attempt = 0; attempt < 5 && !redirected; attempt++) {
        long put = System.nanoTime();
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("hot"));
        long sent = System.nanoTime();
        assertThat(get(b, bucket, "k")).isEqualTo("hot");
        redirected =
            sent - put < WITHIN_REDIRECT_WINDOW.toNanos()
                && cluster.site(0).leases().owned(bucket, "k") != null;
      }
      assertThat(redirected)
          .as(
              "a read sent within %s of the owner's put was redirected (A still owns k)",
              WITHIN_REDIRECT_WINDOW)
          .isTrue();
      sleep(2500); // past the redirect window
      assertThat(get(b, bucket, "k")).isEqualTo("hot");
      assertThat(cluster.site(0).leases().owned(bucket, "k")).isNull(); // recalled
      assertThat(atOrigin(cluster.backdoor(), bucket, "k"))
          .isEqualTo(Data.md5Hex("hot".getBytes()));
    }
  }

  @Test
  void repeatedPutsAndDeletesAtTheOwnerNeedNoCoordinatorRoundTrip() {
    try (LocalCluster cluster = cluster("1h", LONG_TTL);
        S3Client a = cluster.client(0)) {
      String bucket = Data.bucket(a);
      writeBack(cluster, bucket);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v0"));
      Partition link = cluster.link(0);
      long acquires = link.calls("Acquire");
      long commits = link.calls("Commit");
      for (int i = 1; i <= 20; i++) {
        String body = "v" + i;
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString(body));
        assertThat(get(a, bucket, "k")).isEqualTo(body);
      }
      a.deleteObject(d -> d.bucket(bucket).key("k"));
      // No grant and no commit: the coordinator knows site 0 owns k, and site 0 answers for it.
      assertThat(link.calls("Acquire")).as("grants asked for").isEqualTo(acquires);
      assertThat(link.calls("Commit")).as("commits").isEqualTo(commits);
      assertThat(atOrigin(cluster.backdoor(), bucket, "k")).isNull();
      // The latest is what everyone sees: the delete, then a new put, listed and read elsewhere.
      try (S3Client b = cluster.client(1)) {
        assertThat(b.listObjectsV2(l -> l.bucket(bucket).prefix("k")).contents()).isEmpty();
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("last"));
        assertThat(b.listObjectsV2(l -> l.bucket(bucket).prefix("k")).contents())
            .extracting(S3Object::size)
            .containsExactly(4L);
        assertThat(get(b, bucket, "k")).isEqualTo("last");
      }
    }
  }

  @Test
  void aListAtAnotherSiteIncludesUnflushedPutsAndDeletes() {
    try (LocalCluster cluster = cluster("1h");
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      b.putObject(p -> p.bucket(bucket).key("dir/old"), RequestBody.fromString("old"));
      b.putObject(p -> p.bucket(bucket).key("gone"), RequestBody.fromString("gone"));
      writeBack(cluster, bucket);
      a.putObject(p -> p.bucket(bucket).key("dir/new"), RequestBody.fromString("new!"));
      a.putObject(p -> p.bucket(bucket).key("top"), RequestBody.fromString("t"));
      a.deleteObject(d -> d.bucket(bucket).key("gone"));
      assertThat(atOrigin(cluster.backdoor(), bucket, "gone")).isNotNull(); // not flushed

      List<S3Object> all = b.listObjectsV2(l -> l.bucket(bucket)).contents();
      assertThat(all.stream().map(S3Object::key))
          .containsExactly("dir/new", "dir/old", "probe", "top");
      S3Object added = all.get(0);
      assertThat(added.size()).isEqualTo(4);
      assertThat(added.eTag()).isEqualTo('"' + Data.md5Hex("new!".getBytes()) + '"');

      var rolled = b.listObjectsV2(l -> l.bucket(bucket).delimiter("/"));
      assertThat(rolled.commonPrefixes()).extracting(p -> p.prefix()).containsExactly("dir/");
      assertThat(rolled.contents().stream().map(S3Object::key).collect(Collectors.toList()))
          .containsExactly("probe", "top");

      // Paged one key at a time, the merged listing is the same, in order, with no repeats.
      var pages = b.listObjectsV2Paginator(l -> l.bucket(bucket).maxKeys(1));
      assertThat(pages.contents().stream().map(S3Object::key).toList())
          .containsExactly("dir/new", "dir/old", "probe", "top");
    }
  }

  /**
   * A new bucket whose key {@code k} is "old" at the origin and, after it, {@code puts} at site 0
   * in write-back (with {@code policy}), unflushed; then site 0 is killed (its journal stays on
   * disk). Returns the bucket.
   */
  private static String killedWithUnflushed(LocalCluster cluster, String policy, String... puts) {
    String bucket;
    try (S3Client a = cluster.client(0)) {
      bucket = Data.bucket(a);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("old"));
      writeBack(cluster, bucket, policy);
      for (String value : puts) {
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString(value));
      }
    }
    cluster.kill(0);
    assertThat(atOrigin(cluster.backdoor(), bucket, "k")).isEqualTo(Data.md5Hex("old".getBytes()));
    return bucket;
  }

  @Test
  void theOwnerDownMakesItsElementsUnavailableUntilItReturnsAndFlushes() {
    try (LocalCluster cluster = cluster("1h");
        S3Client b = cluster.client(1)) {
      String bucket = killedWithUnflushed(cluster, "recall", "new");
      assertThat(sdkFailure(() -> get(b, bucket, "k")).statusCode()).isEqualTo(503);
      // Past the owner's session: still 503 (owner down), never the old version.
      awaitSessionOver(cluster, "site-0");
      var down = sdkFailure(() -> get(b, bucket, "k"));
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.getMessage()).contains("site-0");

      cluster.restart(0); // recovers its journal, reclaims, flushes at once
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() ->
              Data.md5Hex("new".getBytes()).equals(atOrigin(cluster.backdoor(), bucket, "k")));
      assertThat(get(b, bucket, "k")).isEqualTo("new");
    }
  }

  /**
   * The window after an owner's return in which the coordinator names it the owner again but it has
   * not yet taken its journal back: a read there (its own, or one redirected to it) serves the
   * journal's latest version, never the older one at the origin.
   */
  @Test
  void aReturningOwnerServesItsJournalBeforeItHasTakenItBack() {
    try (LocalCluster cluster = cluster("1h");
        S3Client b = cluster.client(1)) {
      String bucket = killedWithUnflushed(cluster, "redirect", "first", "latest");
      awaitSessionOver(cluster, "site-0"); // its session is over at the coordinator

      // The reclaim takes effect at the coordinator; the returning site does not hear of it yet.
      cluster.link(0).hold("Reclaim", true);
      cluster.restart(0);
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> cluster.link(0).heldCalls() > 0);
      try (S3Client a = cluster.client(0)) {
        assertThat(get(b, bucket, "k")).isEqualTo("latest"); // redirected to site 0
        assertThat(get(a, bucket, "k")).isEqualTo("latest");
        // A LIST cannot know yet which keys site 0 holds dirty: unavailable, not the origin's.
        var listing = sdkFailure(() -> b.listObjectsV2(l -> l.bucket(bucket)));
        assertThat(listing.statusCode()).isEqualTo(503);
        assertThat(listing.getMessage()).contains("site-0", "taking them back");
      }
      cluster.link(0).hold("Reclaim", false);
      // The reclaim's answer (older than what the reads adopted) is taken: it adopts the probe,
      // which nothing read meanwhile, and changes nothing of k.
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> cluster.site(0).leases().owned(bucket, "probe") != null);
      try (S3Client a = cluster.client(0)) {
        assertThat(get(a, bucket, "k")).isEqualTo("latest");
        assertThat(get(b, bucket, "k")).isEqualTo("latest");
      }
      assertThat(b.listObjectsV2(l -> l.bucket(bucket)).contents())
          .filteredOn(o -> o.key().equals("k"))
          .extracting(S3Object::eTag)
          .containsExactly("\"" + Data.md5Hex("latest".getBytes()) + "\"");
      // A read elsewhere under the recall policy: the owner flushes the latest and hands over.
      cluster.site(0).leases().admin().setWriteMode(bucket, true, "recall");
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(
              () -> "latest".equals(get(b, bucket, "k")) && cluster.site(0).journal().count() == 0);
      assertThat(atOrigin(cluster.backdoor(), bucket, "k"))
          .isEqualTo(Data.md5Hex("latest".getBytes()));
    }
  }

  @Test
  void aSiteDeclaredLostFallsBackToTheLastCleanVersionAndReportsTheKeys() {
    try (LocalCluster cluster = cluster("1h");
        S3Client b = cluster.client(1)) {
      String bucket;
      try (S3Client a = cluster.client(0)) {
        bucket = Data.bucket(a);
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("clean"));
        writeBack(cluster, bucket);
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("lost"));
        a.putObject(p -> p.bucket(bucket).key("fresh"), RequestBody.fromString("lost too"));
      }
      cluster.kill(0);
      // A site with a live session is not lost (it may serve until its own deadline).
      assertThatThrownBy(() -> cluster.site(1).leases().admin().declareLost("site-2"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("live session");
      List<String> lost = declareLost(cluster, "site-0");
      assertThat(lost).contains(bucket + "/k", bucket + "/fresh");
      assertThat(get(b, bucket, "k")).isEqualTo("clean");
      assertThat(sdkFailure(() -> get(b, bucket, "fresh")).statusCode()).isEqualTo(404);
      assertThat(b.listObjectsV2(l -> l.bucket(bucket)).contents())
          .extracting(S3Object::key)
          .contains("k")
          .doesNotContain("fresh");

      // The lost site returns: what it held was declared lost, so it serves the clean version.
      cluster.restart(0);
      try (S3Client a = cluster.client(0)) {
        assertThat(get(a, bucket, "k")).isEqualTo("clean");
      }
      assertThat(atOrigin(cluster.backdoor(), bucket, "k"))
          .isEqualTo(Data.md5Hex("clean".getBytes()));
    }
  }

  @Test
  void theFlusherOutlastsAnOriginOutageWithNothingLost() {
    try (LocalCluster cluster = cluster("0s");
        S3Client a = cluster.client(0)) {
      String bucket = Data.bucket(a);
      writeBack(cluster, bucket);
      cluster.origin(0).writesDown(true);
      for (int i = 0; i < 10; i++) {
        String key = "k" + i;
        String body = "body " + i;
        a.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString(body));
      }
      // The flusher tries, fails, backs off: a put of one of them reached the origin (refused).
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() ->
              IntStream.range(0, 10)
                      .mapToLong(
                          i -> cluster.origin(0).count(RecordingOrigin.Call.PUT, bucket, "k" + i))
                      .sum()
                  >= 1);
      for (int i = 0; i < 10; i++) {
        assertThat(atOrigin(cluster.backdoor(), bucket, "k" + i)).isNull();
        assertThat(get(a, bucket, "k" + i)).isEqualTo("body " + i);
      }
      cluster.origin(0).writesDown(false);
      Awaitility.await()
          .atMost(Duration.ofSeconds(40))
          .until(() -> cluster.site(0).journal().count() == 0);
      for (int i = 0; i < 10; i++) {
        assertThat(atOrigin(cluster.backdoor(), bucket, "k" + i))
            .isEqualTo(Data.md5Hex(("body " + i).getBytes()));
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
