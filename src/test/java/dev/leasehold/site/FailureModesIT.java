package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cli.Setting;
import dev.leasehold.coordinator.CoordinatorPeer;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Payloads;
import dev.leasehold.testkit.S3Errors;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * What each failure costs, as docs/consistency.md ("When something fails", "Origins and fencing",
 * "Write-back buckets") promises it, one test per promise. Each test checks that its fault happened
 * (calls dropped, peers down, origin calls refused, a site stopped), and ends with the fault healed
 * and a read at every site.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FailureModesIT {

  /**
   * A site cut off from the coordinator keeps serving reads under the leases it holds and answers a
   * write 503 at once; a write elsewhere that needs its lease recalled cannot be granted, and gets
   * 503 SlowDown after 30 s; once the link heals, the write goes through and both sites read it.
   */
  @Test
  void aCutOffSiteServesItsLeasesAndAWriteThatCannotBeGrantedGetsSlowDownAfter20s()
      throws Exception {
    // A long session: the cut-off site's deadline must outlast the 20 s wait.
    try (LocalCluster cluster =
            LocalCluster.builder().sites(2).ttl(Duration.ofSeconds(90)).start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v1"));
      assertThat(get(b, bucket, "k")).isEqualTo("v1");
      assertThat(cluster.site(1).leases().held(bucket, "k")).isNotNull();

      cluster.link(1).cut(true);
      assertThat(get(b, bucket, "k")).as("served under the lease it holds").isEqualTo("v1");
      long start = System.nanoTime();
      S3Exception refused =
          S3Errors.of(
              () -> b.putObject(p -> p.bucket(bucket).key("k2"), RequestBody.fromString("x")));
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.awsErrorDetails().errorCode()).isEqualTo("ServiceUnavailable");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("refused at once, not after a wait")
          .isLessThan(Duration.ofSeconds(10));
      assertThat(cluster.link(1).dropped()).as("the link dropped the site's calls").isPositive();

      start = System.nanoTime();
      S3Exception slow =
          S3Errors.of(
              () -> a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v2")));
      Duration waited = Duration.ofNanos(System.nanoTime() - start);
      assertThat(slow.statusCode()).isEqualTo(503);
      assertThat(slow.awsErrorDetails().errorCode()).as(slow.getMessage()).isEqualTo("SlowDown");
      assertThat(waited).isBetween(Duration.ofSeconds(19), Duration.ofSeconds(29));
      // B, cut off, still serves v1 under its lease: the write, answered 503, may have reached
      // the origin (beside the recall), but it takes effect for no one before B is waited out.
      assertThat(get(b, bucket, "k")).as("served under B's lease").isEqualTo("v1");

      cluster.link(1).cut(false);
      eventually(
          () -> a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v2")),
          Duration.ofSeconds(60));
      assertThat(get(a, bucket, "k")).isEqualTo("v2");
      assertThat(get(b, bucket, "k")).isEqualTo("v2");
    }
  }

  /**
   * With a majority of the coordinator's peers down no lease can be granted: a site serves what its
   * held leases cover until its deadline, then answers 503; writes get 503. Once the peers are
   * back, writes go through and every site reads them.
   */
  @Test
  void aMajorityOfPeersDownLeavesHeldLeasesUntilTheDeadlineThen503() throws Exception {
    Duration ttl = Duration.ofSeconds(4);
    try (LocalCluster cluster = LocalCluster.builder().sites(2).coordinators(3).ttl(ttl).start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v1"));
      assertThat(get(b, bucket, "k")).isEqualTo("v1");

      int leader = cluster.leader();
      int other = (leader + 1) % 3;
      int left = (leader + 2) % 3;
      cluster.killCoordinator(leader);
      cluster.killCoordinator(other);
      assertThat(get(b, bucket, "k")).as("served under the lease it holds").isEqualTo("v1");

      S3Exception write =
          S3Errors.of(
              () -> a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v2")));
      assertThat(write.statusCode()).isEqualTo(503);
      CoordinatorPeer survivor = cluster.coordinators().get(left);
      assertThat(survivor).isNotNull();
      assertThat(survivor.isLeader()).as("one peer of three cannot lead").isFalse();

      Await.until(
          () -> !cluster.site(1).leases().valid(), ttl.multipliedBy(3), "site 1's deadline");
      S3Exception lapsed = S3Errors.of(() -> get(b, bucket, "k"));
      assertThat(lapsed.statusCode()).isEqualTo(503);

      cluster.restartCoordinator(leader);
      cluster.restartCoordinator(other);
      Await.until(
          () -> cluster.site(0).leases().valid() && cluster.site(1).leases().valid(),
          Duration.ofSeconds(30),
          "both sites to have sessions again");
      eventually(
          () -> a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v2")),
          Duration.ofSeconds(30));
      assertThat(get(a, bucket, "k")).isEqualTo("v2");
      assertThat(get(b, bucket, "k")).isEqualTo("v2");
    }
  }

  /**
   * With the origin down, cache hits under a lease are served; misses and writes get 503
   * ServiceUnavailable; once it is back, both work.
   */
  @Test
  void theOriginDownServesHitsAndRefusesMissesAndWrites() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).start();
        S3Client s3 = cluster.client(0)) {
      String bucket = Data.bucket(s3);
      s3.putObject(p -> p.bucket(bucket).key("hit"), RequestBody.fromString("cached"));
      assertThat(get(s3, bucket, "hit")).isEqualTo("cached");
      // Written behind the site's back: never read there, so a read of it is a miss.
      cluster
          .backdoor()
          .put(bucket, "miss", Payloads.of("elsewhere"), ObjectMetadata.EMPTY, WriteCondition.NONE);

      cluster.origin(0).down(true);
      assertThat(get(s3, bucket, "hit")).as("a hit under a lease").isEqualTo("cached");
      S3Exception miss = S3Errors.of(() -> get(s3, bucket, "miss"));
      assertThat(miss.statusCode()).isEqualTo(503);
      assertThat(miss.awsErrorDetails().errorCode()).isEqualTo("ServiceUnavailable");
      S3Exception write =
          S3Errors.of(
              () -> s3.putObject(p -> p.bucket(bucket).key("new"), RequestBody.fromString("n")));
      assertThat(write.statusCode()).isEqualTo(503);
      assertThat(write.awsErrorDetails().errorCode()).isEqualTo("ServiceUnavailable");
      assertThat(cluster.origin(0).refused()).as("calls the origin refused").isPositive();

      cluster.origin(0).down(false);
      assertThat(get(s3, bucket, "miss")).isEqualTo("elsewhere");
      s3.putObject(p -> p.bucket(bucket).key("new"), RequestBody.fromString("n"));
      assertThat(get(s3, bucket, "new")).isEqualTo("n");
    }
  }

  /**
   * A write whose grant lapses while its origin write is in flight cannot overwrite a newer
   * version: the origin write is fenced on the version it replaces (the directory origin honours
   * the condition), so when it lands after another site's newer write, it fails, its client gets
   * 503 SlowDown, and the newer version stays, at the origin and at every site.
   */
  @Test
  void aWriteWhoseGrantLapsedMidFlightCannotOverwriteANewerVersion() throws Exception {
    Duration ttl = Duration.ofSeconds(2);
    try (LocalCluster cluster = LocalCluster.builder().sites(2).ttl(ttl).start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v1"));

      cluster.origin(0).holdPuts();
      CompletableFuture<Throwable> stale =
          CompletableFuture.supplyAsync(() -> {
            try {
              a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("stale"));
              return null;
            } catch (RuntimeException e) {
              return e;
            }
          });
      assertThat(cluster.origin(0).awaitHeldPut(Duration.ofSeconds(30)))
          .as("site 0's origin write is in flight, under its grant")
          .isTrue();
      cluster.link(0).cut(true);
      Await.until(
          () -> !cluster.site(0).leases().valid(), ttl.multipliedBy(3), "site 0's deadline");

      // Site 0's session expires at the coordinator; site 1 is granted WRITE and writes.
      eventually(
          () -> b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("newer")),
          Duration.ofSeconds(30));
      cluster.origin(0).releasePuts();
      Throwable outcome = stale.get(60, TimeUnit.SECONDS);
      assertThat(outcome).as("the lapsed write failed").isInstanceOf(S3Exception.class);
      S3Exception e = (S3Exception) outcome;
      assertThat(e.statusCode()).isEqualTo(503);
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SlowDown");

      cluster.link(0).cut(false);
      Await.until(
          () -> cluster.site(0).leases().valid(), Duration.ofSeconds(30), "site 0's session");
      assertThat(get(b, bucket, "k")).isEqualTo("newer");
      assertThat(get(a, bucket, "k")).isEqualTo("newer");
      assertThat(cluster.backdoor().head(bucket, "k").etag())
          .as("at the origin")
          .isEqualTo(Data.md5Hex("newer".getBytes(StandardCharsets.UTF_8)));
    }
  }

  /**
   * An owner of unflushed writes that is down makes its elements unavailable elsewhere: writes of
   * them and LISTs of their bucket get 503, never a listing without them or an overwrite of a
   * version nobody else has; once it is back, both work and show its writes.
   */
  @Test
  void anOwnerDownMakesWritesAndListsOfItsElementsElsewhere503() throws Exception {
    try (LocalCluster cluster =
            LocalCluster.builder()
                .sites(2)
                .ttl(WriteBackIT.TTL)
                .set(Setting.FLUSH_DELAY, "1h")
                .start();
        S3Client b = cluster.client(1)) {
      String bucket;
      try (S3Client a = cluster.client(0)) {
        bucket = Data.bucket(a);
        WriteBackIT.writeBack(cluster, bucket, "recall");
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("unflushed"));
      }
      assertThat(cluster.site(0).journal().count()).as("an unflushed write").isPositive();
      cluster.kill(0);
      assertThat(cluster.isUp(0)).isFalse();

      S3Exception write =
          S3Errors.of(
              () -> b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("b")));
      assertThat(write.statusCode()).isEqualTo(503);
      S3Exception list = S3Errors.of(() -> b.listObjectsV2(l -> l.bucket(bucket)));
      assertThat(list.statusCode()).isEqualTo(503);

      cluster.restart(0);
      eventually(() -> b.listObjectsV2(l -> l.bucket(bucket)), Duration.ofSeconds(30));
      assertThat(b.listObjectsV2(l -> l.bucket(bucket)).contents())
          .extracting(o -> o.key())
          .containsExactly("k", "probe"); // writeBack() puts "probe" to see the mode take effect
      assertThat(get(b, bucket, "k")).isEqualTo("unflushed");
      eventually(
          () -> b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("b")),
          Duration.ofSeconds(30));
      try (S3Client a = cluster.client(0)) {
        assertThat(get(a, bucket, "k")).isEqualTo("b");
      }
      assertThat(get(b, bucket, "k")).isEqualTo("b");
    }
  }

  static String get(S3Client s3, String bucket, String key) {
    return s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asUtf8String();
  }

  /** Retries {@code call} while it answers 503, up to {@code timeout}. */
  static void eventually(Runnable call, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        call.run();
        return;
      } catch (S3Exception e) {
        if (e.statusCode() != 503 || System.nanoTime() - deadline > 0) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }
}
