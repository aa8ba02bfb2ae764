package dev.leasehold.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Payloads;
import dev.leasehold.testkit.RecordingOrigin.Call;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Writes made directly at the origin, behind Leasehold: seen at every site within {@code
 * origin-check}, at the cost of at most one HEAD per object, per site, per interval.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OriginCheckIT {
  static final Duration CHECK = Duration.ofSeconds(1);

  LocalCluster cluster;
  S3Client a;
  S3Client b;
  String bucket;

  @BeforeEach
  void start() {
    cluster = LocalCluster.builder().sites(2).originCheck(CHECK.toMillis() + "ms").start();
    a = cluster.client(0);
    b = cluster.client(1);
    bucket = Data.bucket(a);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    cluster.close();
  }

  @Test
  void aVersionFromTheCoordinatorIsCheckedAtTheOriginBeforeItIsServedPastTheBound()
      throws InterruptedException {
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("through leasehold"));
    behindLeasehold("k", "at the origin");
    Thread.sleep(CHECK.plusMillis(100).toMillis());
    // The coordinator still names A's version, but neither site has seen it at the origin within
    // the bound: both ask the origin first.
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("at the origin");
    assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("at the origin");
  }

  @Test
  void aChangeIsSeenWithinTheBoundForOneHeadPerInterval() throws InterruptedException {
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("one"));
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("one");
    long heads = cluster.origin(1).count(Call.HEAD, bucket, "k");
    long started = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      b.getObjectAsBytes(g -> g.bucket(bucket).key("k"));
    }
    long elapsed = System.nanoTime() - started;
    // At most one HEAD per interval: one, however many reads, unless they took longer than that.
    assertThat(cluster.origin(1).count(Call.HEAD, bucket, "k") - heads)
        .as("HEADs for 20 reads in %d ms", TimeUnit.NANOSECONDS.toMillis(elapsed))
        .isLessThanOrEqualTo(1 + elapsed / CHECK.toNanos());

    behindLeasehold("k", "two");
    long changed = System.nanoTime();
    // Judged by when each read was sent: before the bound, either version; from it on, the new one.
    // The reads go on until one sent at or past the bound has answered (a second or so).
    while (true) {
      long sent = System.nanoTime();
      String seen = b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String();
      if (sent - changed >= CHECK.toNanos()) {
        assertThat(seen)
            .as("a read sent %d ms after the change", TimeUnit.NANOSECONDS.toMillis(sent - changed))
            .isEqualTo("two");
        break;
      }
      assertThat(seen).isIn("one", "two");
      Thread.sleep(20);
    }
  }

  private void behindLeasehold(String key, String value) {
    cluster
        .backdoor()
        .put(bucket, key, Payloads.of(value), ObjectMetadata.EMPTY, WriteCondition.NONE);
  }
}
