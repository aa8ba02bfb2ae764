package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.RecordingOrigin;
import dev.leasehold.testkit.Relay;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A miss streams: a cold read's first bytes reach its client as they arrive from the origin, while
 * the chunk they belong to is still loading into the cache, not once the whole chunk landed. Seen
 * through a slow link between the reading site and its origin (a relay capped in bandwidth), where
 * a chunk takes seconds to arrive. And the origin's answer, asked beside the grant, is read only
 * once the grant came: seen through a long link to the coordinator.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MissStreamingIT {
  static final int CHUNK = 1 << 20;

  /** The reading site's link to the origin: a chunk takes about 4 s to cross it. */
  static final long BYTES_PER_SECOND = CHUNK / 4;

  @Test
  void aColdReadSendsItsFirstBytesBeforeItsFirstChunkIsWhole() throws Exception {
    try (LocalCluster cluster =
            LocalCluster.builder()
                .origin(OriginKind.S3PROXY)
                .relayed()
                .sites(2)
                .chunkSize(CHUNK)
                .start();
        S3Client reader = cluster.client(0);
        S3Client writer = cluster.client(1)) {
      String bucket = Data.bucket(writer);
      byte[] body = Data.bytes(CHUNK + CHUNK / 2, 7);
      writer.putObject(p -> p.bucket(bucket).key("slow"), RequestBody.fromBytes(body));
      Relay link = cluster.originRelay(0);
      long relayedBefore = link.bytesRelayed();
      link.bandwidth(BYTES_PER_SECOND);
      try {
        long started = System.nanoTime();
        byte[] read;
        long headersMillis;
        long firstByteMillis;
        try (ResponseInputStream<GetObjectResponse> in =
            reader.getObject(g -> g.bucket(bucket).key("slow"))) {
          headersMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
          int first = in.read();
          firstByteMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
          byte[] rest = in.readAllBytes();
          read = new byte[rest.length + 1];
          read[0] = (byte) first;
          System.arraycopy(rest, 0, read, 1, rest.length);
        }
        long allMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.printf(
            "cold read over %d B/s: headers after %d ms, first byte %d ms, all %d ms%n",
            BYTES_PER_SECOND, headersMillis, firstByteMillis, allMillis);
        assertThat(read).as("the object's bytes").isEqualTo(body);
        // The fault: the bytes crossed the slow link, and took their time.
        assertThat(link.bytesRelayed() - relayedBefore)
            .as("bytes through the reading site's origin link")
            .isGreaterThanOrEqualTo(body.length);
        long chunkMillis = 1000L * CHUNK / BYTES_PER_SECOND;
        assertThat(allMillis).as("the whole read, over the slow link").isGreaterThan(chunkMillis);
        // The behaviour: the first bytes came long before their chunk could be whole.
        assertThat(firstByteMillis)
            .as("time to the first byte, where the first chunk takes %d ms", chunkMillis)
            .isLessThan(chunkMillis / 2);
      } finally {
        link.bandwidth(0);
      }
      // Healed: read whole at every site, from the cache where the read left it.
      for (int i = 0; i < cluster.size(); i++) {
        try (S3Client s3 = cluster.client(i);
            InputStream in = s3.getObject(g -> g.bucket(bucket).key("slow"))) {
          assertThat(in.readAllBytes()).as("site %d", i).isEqualTo(body);
        }
      }
    }
  }

  /** What a stalling origin gives of a cold read's body before its stream stops. */
  static final int FIRST_BYTES = 4 << 10;

  /**
   * The longest Linux holds a partial segment back on a corked socket ({@code TCP_CORK}, tcp(7)):
   * headers corked behind a stalled body reach the client after this, and not before.
   */
  static final long CORK_CEILING_MILLIS = 200;

  @Test
  void aColdReadsHeadersLeaveWithItsFirstBytesWhileTheOriginStalls() throws Exception {
    try (LocalCluster cluster =
            LocalCluster.builder().origin(OriginKind.S3PROXY).sites(2).chunkSize(CHUNK).start();
        S3Client reader = cluster.client(0);
        S3Client writer = cluster.client(1)) {
      String bucket = Data.bucket(writer);
      RecordingOrigin origin = cluster.origin(0);
      long fastest = Long.MAX_VALUE;
      for (int i = 0; i < 3; i++) {
        String key = "stalling-" + i;
        byte[] body = Data.bytes(CHUNK + CHUNK / 2, 20 + i);
        writer.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromBytes(body));
        origin.stallPeekBodiesAfter(FIRST_BYTES);
        try (ResponseInputStream<GetObjectResponse> in =
            reader.getObject(g -> g.bucket(bucket).key(key))) {
          long headers = System.nanoTime();
          // The fault: the origin's stream stopped after its first bytes (if not yet when the
          // headers came, then right after).
          Await.until(
              () -> origin.stalledSince() > 0,
              Duration.ofSeconds(10),
              "the origin's stream stalls");
          long afterStall = TimeUnit.NANOSECONDS.toMillis(headers - origin.stalledSince());
          fastest = Math.min(fastest, afterStall);
          System.out.printf(
              "headers of a cold read %d ms after its origin stalled at %d bytes%n",
              afterStall, FIRST_BYTES);
          // The first bytes are the client's while the origin is still stalled.
          assertThat(in.readNBytes(FIRST_BYTES))
              .as("the first bytes, read while the origin stalls")
              .isEqualTo(java.util.Arrays.copyOf(body, FIRST_BYTES));
          origin.releaseStalls();
          assertThat(in.readAllBytes())
              .as("the rest, once the origin goes on")
              .isEqualTo(java.util.Arrays.copyOfRange(body, FIRST_BYTES, body.length));
        } finally {
          origin.releaseStalls();
        }
      }
      // The behaviour: the headers left with the first bytes, not corked behind the body until the
      // kernel's ceiling (the fastest of three, so that one slow moment cannot decide it).
      assertThat(fastest)
          .as("ms from the origin's stall to the client having the headers")
          .isLessThan(CORK_CEILING_MILLIS / 2);
      // Healed: every object whole at every site.
      for (int i = 0; i < cluster.size(); i++) {
        try (S3Client s3 = cluster.client(i)) {
          for (int k = 0; k < 3; k++) {
            String key = "stalling-" + k;
            assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asByteArray())
                .as("site %d, %s", i, key)
                .isEqualTo(Data.bytes(CHUNK + CHUNK / 2, 20 + k));
          }
        }
      }
    }
  }

  /** The reading site's link to the coordinator, each way: the grant takes a round trip of it. */
  static final Duration COORDINATOR_ONE_WAY = Duration.ofMillis(300);

  @Test
  void aColdReadLeavesTheOriginsBytesUnreadUntilItsGrantCame() throws Exception {
    try (LocalCluster cluster =
            LocalCluster.builder().origin(OriginKind.S3PROXY).relayed().sites(2).start();
        S3Client reader = cluster.client(0);
        S3Client writer = cluster.client(1)) {
      String bucket = Data.bucket(writer);
      byte[] body = Data.bytes(CHUNK, 11);
      writer.putObject(p -> p.bucket(bucket).key("far"), RequestBody.fromBytes(body));
      RecordingOrigin origin = cluster.origin(0);
      origin.reset();
      cluster.distance(0, COORDINATOR_ONE_WAY);
      long started = System.nanoTime();
      byte[] read;
      try {
        read = reader.getObject(g -> g.bucket(bucket).key("far")).readAllBytes();
      } finally {
        cluster.distance(0, Duration.ZERO);
      }
      long readMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      long waitMillis = TimeUnit.NANOSECONDS.toMillis(origin.lastPeekBodyWait());
      System.out.printf(
          "cold read %d ms from a coordinator %d ms away: the origin's bytes waited %d ms%n",
          readMillis, COORDINATOR_ONE_WAY.toMillis(), waitMillis);
      assertThat(read).as("the object's bytes").isEqualTo(body);
      // The fault: the grant crossed the long link, there and back.
      long roundTrip = 2 * COORDINATOR_ONE_WAY.toMillis();
      assertThat(readMillis)
          .as("the cold read, a coordinator round trip away")
          .isGreaterThan(roundTrip);
      // The behaviour: the origin answered at once, its bytes were read once the grant came, and
      // they are the bytes served (the origin was asked once).
      assertThat(waitMillis)
          .as("time the origin's answer went unread, against a %d ms grant", roundTrip)
          .isGreaterThan(roundTrip / 2);
      assertThat(origin.count(RecordingOrigin.Call.READ, bucket, "far"))
          .as("reads of the object at the origin")
          .isEqualTo(1);
      // Healed: read whole at every site.
      for (int i = 0; i < cluster.size(); i++) {
        try (S3Client s3 = cluster.client(i);
            InputStream in = s3.getObject(g -> g.bucket(bucket).key("far"))) {
          assertThat(in.readAllBytes()).as("site %d", i).isEqualTo(body);
        }
      }
    }
  }
}
