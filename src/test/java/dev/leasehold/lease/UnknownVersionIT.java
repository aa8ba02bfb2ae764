package dev.leasehold.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Payloads;
import dev.leasehold.testkit.RecordingOrigin.Call;
import dev.leasehold.testkit.S3Errors;
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
 * docs/protocol.md, Reads: the origin beside the grant, for a version the table does not know. The
 * origin's answer stands for the HEAD when it was asked for after the table's last change of the
 * element had been applied, as the site had heard; otherwise the site asks again under the grant.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UnknownVersionIT {
  @Test
  void aColdReadOfAnObjectWrittenBehindLeaseholdAsksTheOriginOnce() {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).start();
        S3Client s3 = cluster.client(0)) {
      String bucket = Data.bucket(s3);
      behindLeasehold(cluster, bucket, "k", "at the origin");
      S3Errors.of(() -> s3.headObject(h -> h.bucket(bucket).key("absent"))); // hears the count
      long heads = cluster.origin(0).count(Call.HEAD, bucket, "k");
      long reads = cluster.origin(0).count(Call.READ, bucket, "k");

      assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("at the origin");
      // One GET, whose headers named the version: no HEAD (it was a GET and a HEAD).
      assertThat(cluster.origin(0).count(Call.READ, bucket, "k") - reads).isEqualTo(1);
      assertThat(cluster.origin(0).count(Call.HEAD, bucket, "k") - heads).isZero();
    }
  }

  /**
   * B asks the origin while A's write of the object is in flight; A's write then fails without a
   * clear answer, so the table marks the version unknown after B's question left. B's answer from
   * the origin may predate that write: B asks the origin again under its grant.
   */
  @Test
  void anAnswerAskedBeforeAWriteEndedInDoubtIsAskedAgainUnderTheGrant() throws Exception {
    ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    try (LocalCluster cluster = LocalCluster.builder().sites(2).start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      behindLeasehold(cluster, bucket, "k", "at the origin");
      cluster.origin(0).holdPuts();
      CompletableFuture<Integer> write =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("new"));
                  return 200;
                } catch (S3Exception e) {
                  return e.statusCode();
                }
              },
              threads);
      assertThat(cluster.origin(0).awaitHeldPut(Duration.ofSeconds(10))).isTrue();
      long heads = cluster.origin(1).count(Call.HEAD, bucket, "k");
      long reads = cluster.origin(1).count(Call.READ, bucket, "k");
      CompletableFuture<String> read =
          CompletableFuture.supplyAsync(
              () -> b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String(), threads);
      // B's question reached the origin, and B waits for A's write to end.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (cluster.origin(1).count(Call.READ, bucket, "k") == reads) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(5);
      }
      Thread.sleep(200);
      assertThat(read).isNotDone();

      cluster.origin(0).writesDown(true); // A's held put fails: 503, no clear answer
      cluster.origin(0).releasePuts();
      assertThat(write.get(30, TimeUnit.SECONDS)).isEqualTo(503);
      assertThat(cluster.origin(0).refused()).isPositive();
      assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo("at the origin");
      assertThat(cluster.origin(1).count(Call.HEAD, bucket, "k") - heads)
          .as("asked again under the grant")
          .isPositive();

      // Healed: a final write and reads at both sites agree.
      cluster.origin(0).writesDown(false);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("last"));
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("last");
      assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("last");
    } finally {
      threads.shutdownNow();
    }
  }

  private static void behindLeasehold(
      LocalCluster cluster, String bucket, String key, String value) {
    cluster
        .backdoor()
        .put(bucket, key, Payloads.of(value), ObjectMetadata.EMPTY, WriteCondition.NONE);
  }
}
