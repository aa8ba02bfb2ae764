package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.Relay;
import java.io.InputStream;
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
 * a chunk takes seconds to arrive.
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
}
