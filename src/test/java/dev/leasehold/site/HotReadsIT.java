package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.RecordingOrigin;
import dev.leasehold.testkit.Scrape;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Hot reads (docs/design.md, Hits on the event loop; The memory tier), seen from outside: a read
 * that a site answers on its event loop from the bytes it holds in memory is never of a version
 * another site has replaced or deleted since. Each round writes a new version at one site, reads it
 * at the other until the reads are answered on the event loop from memory (checked in the site's
 * own metrics, so the test fails if those paths are not taken), and then writes again elsewhere:
 * the next read must be of the new bytes. Two sites over S3Proxy, with the AWS SDK.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HotReadsIT {
  static final int CHUNK = 1024 * 1024;

  static LocalCluster cluster;
  static S3Client[] s3;
  static String bucket;

  @BeforeAll
  static void start() {
    cluster = LocalCluster.builder().origin(OriginKind.S3PROXY).sites(2).chunkSize(CHUNK).start();
    s3 = new S3Client[] {cluster.client(0), cluster.client(1)};
    bucket = Data.bucket(s3[0]);
  }

  @AfterAll
  static void stop() {
    for (S3Client c : s3) {
      c.close();
    }
    cluster.close();
  }

  /** What the site at {@code i} counts of hot reads now. */
  private record Hot(double fromMemory, double onEventLoop) {
    static Hot at(int i) {
      Scrape m = Scrape.of(cluster.site(i).adminEndpoint());
      return new Hot(
          m.value("leasehold_cache_memory_hits_total"),
          m.value("leasehold_s3_event_loop_requests_total", "outcome", "served"));
    }
  }

  private static byte[] get(int site, String key) {
    return s3[site].getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
  }

  @Test
  void aVersionReplacedAtAnotherSiteIsNeverAnsweredFromMemoryOrTheEventLoop() {
    // 4 KiB and 1 MiB fit one chunk (served on the event loop); 2.5 MiB is three chunks, each
    // held in memory but sent from a thread of the request's own.
    int[] sizes = {4096, CHUNK, 5 * CHUNK / 2};
    String key = "hot";
    int rounds = 12;
    for (int round = 0; round < rounds; round++) {
      int writer = round % 2;
      int reader = 1 - writer;
      int size = sizes[round % sizes.length];
      byte[] version = Data.bytes(size, round);
      s3[writer].putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(version));

      // The first read takes the lease and the bytes; the second reads the chunk from disk and
      // copies it into memory; from the third on, memory (on the event loop, if one chunk).
      for (int read = 0; read < 3; read++) {
        assertThat(Arrays.equals(get(reader, key), version))
            .as("round %d, read %d at site %d: the version just written", round, read, reader)
            .isTrue();
      }
      Hot before = Hot.at(reader);
      assertThat(Arrays.equals(get(reader, key), version)).isTrue();
      byte[] range =
          s3[reader]
              .getObjectAsBytes(b -> b.bucket(bucket).key(key).range("bytes=100-299"))
              .asByteArray();
      assertThat(range).isEqualTo(Arrays.copyOfRange(version, 100, 300));
      Hot after = Hot.at(reader);
      assertThat(after.fromMemory())
          .as("round %d: the hot reads were answered from memory", round)
          .isGreaterThan(before.fromMemory());
      if (size <= CHUNK) {
        assertThat(after.onEventLoop() - before.onEventLoop())
            .as("round %d: both hot reads were answered on the event loop", round)
            .isEqualTo(2);
      } else {
        assertThat(after.onEventLoop() - before.onEventLoop())
            .as("round %d: a whole read of three chunks goes to a thread of its own", round)
            .isEqualTo(1); // the ranged read lies in one chunk
      }
    }

    // A deletion elsewhere: the object is gone at once, whatever memory held.
    s3[0].deleteObject(b -> b.bucket(bucket).key(key));
    assertThatThrownBy(() -> get(1, key)).isInstanceOf(NoSuchKeyException.class);
    assertThatThrownBy(() -> get(0, key)).isInstanceOf(NoSuchKeyException.class);
  }

  /**
   * A key read all the time is asked of the origin ahead of {@code origin-check}: its reads do not
   * reach the bound and hand over to make a HEAD each. Without the check ahead, each of the five
   * bounds crossed here hands at least one read over; with it none does, but a session renewal that
   * comes late on a loaded machine may hand one over (its lease is not valid for a moment).
   */
  @Test
  void aKeyReadAllTheTimeIsAskedOfTheOriginAheadOfTheBound() throws InterruptedException {
    Duration originCheck = Duration.ofSeconds(1);
    try (LocalCluster one =
            LocalCluster.builder().originCheck(originCheck.toMillis() + "ms").start();
        S3Client client = one.client(0)) {
      String b = Data.bucket(client);
      byte[] body = Data.bytes(4096, 7);
      client.putObject(r -> r.bucket(b).key("k"), RequestBody.fromBytes(body));
      client.getObjectAsBytes(r -> r.bucket(b).key("k")); // the lease, and the bytes
      long heads = one.origin(0).count(RecordingOrigin.Call.HEAD, b, "k");
      Scrape start = Scrape.of(one.site(0).adminEndpoint());
      long until = System.nanoTime() + originCheck.multipliedBy(5).toNanos();
      int reads = 0;
      while (System.nanoTime() < until && reads < 2_000) {
        assertThat(client.getObjectAsBytes(r -> r.bucket(b).key("k")).asByteArray())
            .isEqualTo(body);
        reads++;
        Thread.sleep(20);
      }
      Scrape end = Scrape.of(one.site(0).adminEndpoint());
      String name = "leasehold_s3_event_loop_requests_total";
      double handedOver =
          end.value(name, "outcome", "handed_over") - start.value(name, "outcome", "handed_over");
      double served = end.value(name, "outcome", "served") - start.value(name, "outcome", "served");
      assertThat(served + handedOver).isEqualTo(reads);
      assertThat(handedOver)
          .as("reads handed over in five bounds' time, of %d (without the check ahead: 5+)", reads)
          .isLessThanOrEqualTo(1);
      long asked = one.origin(0).count(RecordingOrigin.Call.HEAD, b, "k") - heads;
      assertThat(asked)
          .as("the origin asked ahead, about once per half bound, over %d reads", reads)
          .isBetween(4L, 20L);
    }
  }

  @Test
  void aHeadAndAConditionalGetAreAnsweredOnTheEventLoopWithTheCurrentVersion() {
    String key = "conditional";
    byte[] first = Data.bytes(4096, 1);
    String etag =
        s3[0].putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(first)).eTag();
    get(1, key);
    Hot before = Hot.at(1);
    assertThat(s3[1].headObject(b -> b.bucket(bucket).key(key)).eTag()).isEqualTo(etag);
    assertThatThrownBy(
            () -> s3[1].getObject(b -> b.bucket(bucket).key(key).ifNoneMatch(etag)).close())
        .hasMessageContaining("304");
    Hot after = Hot.at(1);
    assertThat(after.onEventLoop() - before.onEventLoop()).isEqualTo(2);

    byte[] second = Data.bytes(4096, 2);
    String next =
        s3[0].putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(second)).eTag();
    assertThat(next).isNotEqualTo(etag);
    assertThat(s3[1].headObject(b -> b.bucket(bucket).key(key)).eTag())
        .as("the HEAD after a write elsewhere names the new version")
        .isEqualTo(next);
    assertThat(get(1, key)).isEqualTo(second);
  }
}
