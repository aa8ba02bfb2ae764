package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.lease.PrefixLease;
import dev.leasehold.object.ListRequest;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Partition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Prefix write leases (directory delegation) end to end: a site that holds WRITE on a prefix
 * creates keys under it with no coordinator round trip per key; other sites list them, and a read
 * of one recalls the whole prefix (everything under it is flushed first); a holder that is down
 * makes the prefix unavailable, never stale, until it returns or is declared lost.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PrefixLeaseIT {
  static final int KEYS = 1_000;

  static void putAll(S3Client s3, String bucket, String prefix, int n) throws Exception {
    try (ExecutorService threads = Executors.newFixedThreadPool(8)) {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String key = String.format("%s%04d", prefix, i);
        done.add(
            threads.submit(
                () -> s3.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString(key))));
      }
      for (Future<?> f : done) {
        f.get();
      }
    }
  }

  /** The keys {@link #putAll} writes, in the order S3 lists them (zero-padded: numeric order). */
  static List<String> names(String prefix, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(String.format("%s%04d", prefix, i));
    }
    return out;
  }

  @Test
  void aThousandKeysUnderAPrefixLeaseCostOneCoordinatorRoundTrip() throws Exception {
    try (LocalCluster cluster = WriteBackIT.cluster("1h", WriteBackIT.LONG_TTL);
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      WriteBackIT.writeBack(cluster, bucket);
      Partition link = cluster.link(0);
      long acquires = link.calls("Acquire");
      long commits = link.calls("Commit");
      long prefixes = link.calls("AcquirePrefix");
      PrefixLease lease = cluster.site(0).leases().acquirePrefix(bucket, "ckpt/");
      putAll(a, bucket, "ckpt/", KEYS);
      // One round trip for the prefix (asked again only if an attempt failed), none per key.
      assertThat(link.calls("AcquirePrefix") - prefixes)
          .as("calls for the prefix lease")
          .isBetween(1L, 3L);
      assertThat(link.calls("Acquire") - acquires)
          .as("grants asked for %d puts under the prefix lease", KEYS)
          .isZero();
      assertThat(link.calls("Commit") - commits)
          .as("commits of %d puts under the prefix lease", KEYS)
          .isZero();
      assertThat(
              cluster.backdoor().list(bucket, new ListRequest("ckpt/", null, null, 10)).objects())
          .isEmpty();

      // Another site lists them all (asking the holder), one page of 1000 and a second one.
      List<String> listed =
          b.listObjectsV2Paginator(l -> l.bucket(bucket).prefix("ckpt/")).contents().stream()
              .map(S3Object::key)
              .toList();
      assertThat(listed).containsExactlyElementsOf(names("ckpt/", KEYS));

      // A read elsewhere recalls the prefix: everything under it is flushed, then handed over.
      assertThat(WriteBackIT.get(b, bucket, "ckpt/0500")).isEqualTo("ckpt/0500");
      assertThat(cluster.site(0).leases().prefix(bucket, "ckpt/")).isNull();
      assertThat(lease.prefix()).isEqualTo("ckpt/");
      assertThat(cluster.site(0).leases().ownedUnder(bucket, "ckpt/")).isEmpty();
      List<String> atOrigin = new ArrayList<>();
      String after = null;
      do {
        var page = cluster.backdoor().list(bucket, new ListRequest("ckpt/", null, after, 1000));
        page.objects().forEach(o -> atOrigin.add(o.key()));
        after =
            page.objects().isEmpty() ? null : page.objects().get(page.objects().size() - 1).key();
        if (!page.truncated()) {
          break;
        }
      } while (after != null);
      assertThat(atOrigin).containsExactlyElementsOf(names("ckpt/", KEYS));
      // And site 0 writes there again under ordinary grants.
      a.putObject(p -> p.bucket(bucket).key("ckpt/0001"), RequestBody.fromString("again"));
      assertThat(WriteBackIT.get(b, bucket, "ckpt/0001")).isEqualTo("again");
    }
  }

  @Test
  void aHolderThatIsDownMakesThePrefixUnavailableUntilItReturns() throws Exception {
    try (LocalCluster cluster = WriteBackIT.cluster("1h");
        S3Client b = cluster.client(1)) {
      String bucket;
      try (S3Client a = cluster.client(0)) {
        bucket = Data.bucket(a);
        a.putObject(p -> p.bucket(bucket).key("run/0003"), RequestBody.fromString("old"));
        WriteBackIT.writeBack(cluster, bucket);
        cluster.site(0).leases().acquirePrefix(bucket, "run/");
        putAll(a, bucket, "run/", 10);
      }
      b.putObject(p -> p.bucket(bucket).key("other/x"), RequestBody.fromString("x"));
      cluster.kill(0);
      WriteBackIT.awaitSessionOver(cluster, "site-0"); // past its session
      assertThat(WriteBackIT.sdkFailure(() -> WriteBackIT.get(b, bucket, "run/0003")).statusCode())
          .isEqualTo(503);
      assertThat(
              WriteBackIT.sdkFailure(() -> b.listObjectsV2(l -> l.bucket(bucket).prefix("run/")))
                  .statusCode())
          .isEqualTo(503);
      // Outside what site 0 holds, the bucket is served as before.
      assertThat(b.listObjectsV2(l -> l.bucket(bucket).prefix("other/")).contents()).hasSize(1);
      assertThat(WriteBackIT.get(b, bucket, "other/x")).isEqualTo("x");

      cluster.restart(0); // recovers the journal, reclaims the prefix, adopts and flushes its keys
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> cluster.site(0).journal().count() == 0);
      assertThat(WriteBackIT.get(b, bucket, "run/0003")).isEqualTo("run/0003");
      assertThat(b.listObjectsV2(l -> l.bucket(bucket).prefix("run/")).contents())
          .extracting(S3Object::key)
          .containsExactlyElementsOf(names("run/", 10));
    }
  }

  @Test
  void declaringTheHolderLostReportsThePrefix() throws Exception {
    try (LocalCluster cluster = WriteBackIT.cluster("1h");
        S3Client b = cluster.client(1)) {
      String bucket;
      try (S3Client a = cluster.client(0)) {
        bucket = Data.bucket(a);
        WriteBackIT.writeBack(cluster, bucket);
        cluster.site(0).leases().acquirePrefix(bucket, "tmp/");
        putAll(a, bucket, "tmp/", 3);
      }
      cluster.kill(0);
      assertThat(WriteBackIT.declareLost(cluster, "site-0")).contains(bucket + "/tmp/*");
      assertThatThrownBy(() -> WriteBackIT.get(b, bucket, "tmp/0001"))
          .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
      assertThat(b.listObjectsV2(l -> l.bucket(bucket).prefix("tmp/")).contents()).isEmpty();
      cluster.restart(0);
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> cluster.site(0).journal().count() == 0); // dropped: declared lost
      try (S3Client a = cluster.client(0)) {
        assertThat(a.listObjectsV2(l -> l.bucket(bucket).prefix("tmp/")).contents()).isEmpty();
      }
    }
  }
}
