package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cli.Setting;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * docs/protocol.md, Writes: the origin write beside the recall. A write at site A recalls READ
 * leases held at B and C, which are far from the coordinator (1 s one way), and writes the origin
 * while the recalls travel. Until A's grant, the origin holds the new version while B and C may
 * still serve the old one; B checks the origin on every read (origin-check 1 ms), C trusts its
 * lease. B must not serve the new version then: C, reading after B's answer, still serves the old
 * one, and a read that follows one returning the new version must not return the old.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WriteBesideRecallIT {
  private static final Duration FAR = Duration.ofSeconds(1);

  /** One GET's answer and when it ended (nanoTime). */
  private record Read(String body, long ended) {}

  @Test
  void aReaderNeverLearnsAWriteFromTheOriginBeforeItsGrant() throws Exception {
    try (LocalCluster cluster =
            LocalCluster.builder()
                .origin(OriginKind.S3PROXY)
                .sites(3)
                .coordinators(1)
                .relayed()
                .set(1, Setting.ORIGIN_CHECK, "1ms")
                .start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1);
        S3Client c = cluster.client(2)) {
      String bucket = Data.bucket(a);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v1"));
      // B and C hold READ on v1, with its bytes cached.
      assertThat(get(b, bucket)).isEqualTo("v1");
      assertThat(get(c, bucket)).isEqualTo("v1");

      cluster.distance(1, FAR);
      cluster.distance(2, FAR);
      long overlapped = cluster.site(0).leases().writesOverlapped();
      // Each call on a thread of its own (the common pool may have one thread on 2 cores).
      ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
      long started = System.nanoTime();
      CompletableFuture<Long> write =
          CompletableFuture.supplyAsync(
              () -> {
                a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v2"));
                return System.nanoTime();
              },
              threads);
      // A is near the origin: v2 lands there while the recalls are on their way.
      String v1 = cluster.backdoor().headInBucket(bucket, "k").etag();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      while (v1.equals(cluster.backdoor().headInBucket(bucket, "k").etag())) {
        assertThat(System.nanoTime()).as("v2 at the origin within 1 s").isLessThan(deadline);
        Thread.sleep(10);
      }
      long landed = System.nanoTime();
      CompletableFuture<Read> atB =
          CompletableFuture.supplyAsync(
              () -> {
                String body;
                try {
                  body = get(b, bucket);
                } catch (S3Exception e) {
                  body = "error " + e.statusCode();
                }
                return new Read(body, System.nanoTime());
              },
              threads);
      Thread.sleep(300);
      long cStarted = System.nanoTime();
      Read atC = new Read(get(c, bucket), System.nanoTime());
      long written = write.get(30, TimeUnit.SECONDS);
      Read readAtB = atB.get(30, TimeUnit.SECONDS);

      // The fault happened: the recalls crossed the distance both ways before A's grant, C's lease
      // was still live when C read, and A wrote the origin beside the recalls.
      assertThat(Duration.ofNanos(written - started)).isGreaterThan(FAR.multipliedBy(2));
      assertThat(atC.body()).isEqualTo("v1");
      assertThat(atC.ended()).isLessThan(written);
      assertThat(landed).as("the origin write, before the grant").isLessThan(written);
      assertThat(cluster.site(0).leases().writesOverlapped() - overlapped).isEqualTo(1);
      // B did not serve v2 before C's read started: that would be v2, then v1 (not linearizable).
      if (readAtB.ended() < cStarted) {
        assertThat(readAtB.body()).as("B's read, answered before C's started").isEqualTo("v1");
      }
      assertThat(readAtB.body()).isIn("v1", "v2", "error 503");

      // Healed: every site reads v2.
      cluster.distance(1, Duration.ZERO);
      cluster.distance(2, Duration.ZERO);
      assertThat(get(a, bucket)).isEqualTo("v2");
      assertThat(get(b, bucket)).isEqualTo("v2");
      assertThat(get(c, bucket)).isEqualTo("v2");
    }
  }

  private static String get(S3Client s3, String bucket) {
    return s3.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String();
  }
}
