package dev.leasehold.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Payloads;
import dev.leasehold.testkit.RecordingOrigin.Call;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Writes made directly at the origin, behind Leasehold: seen at every site within {@code
 * origin-check}, at the cost of at most one HEAD per object, per site, per interval.
 */
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
    for (int i = 0; i < 20; i++) {
      b.getObjectAsBytes(g -> g.bucket(bucket).key("k"));
    }
    assertThat(cluster.origin(1).count(Call.HEAD, bucket, "k") - heads).isLessThanOrEqualTo(1);

    behindLeasehold("k", "two");
    long changed = System.nanoTime();
    String seen;
    do {
      seen = b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String();
      assertThat(seen).isIn("one", "two");
      assertThat(System.nanoTime() - changed)
          .as("still served the old version")
          .isLessThan(CHECK.plusMillis(500).toNanos());
      Thread.sleep(20);
    } while (!seen.equals("two"));
  }

  private void behindLeasehold(String key, String value) {
    cluster
        .backdoor()
        .put(bucket, key, Payloads.of(value), ObjectMetadata.EMPTY, WriteCondition.NONE);
  }
}
