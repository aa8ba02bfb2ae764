package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cache.ChunkKey;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.Payloads;
import dev.leasehold.testkit.RecordingOrigin;
import dev.leasehold.testkit.RecordingOrigin.Call;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The read-through chunk cache, seen from outside: what reaches the origin, what survives a
 * restart, and that nothing stale or torn is ever served.
 */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CacheIT {
  static final int CHUNK = 256 * 1024;

  /** How long a site trusts a version before asking the origin again. */
  static final Duration ORIGIN_CHECK = Duration.ofSeconds(1);

  static LocalCluster cluster;
  static S3Client s3;
  static String bucket;

  @Parameter OriginKind origin;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind origin) {
    cluster =
        LocalCluster.builder()
            .origin(origin)
            .chunkSize(CHUNK)
            .cacheSize(1024L * CHUNK)
            .originCheck(ORIGIN_CHECK.toMillis() + "ms")
            .start();
    s3 = cluster.client(0);
    bucket = Data.bucket(s3);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    s3.close();
    cluster.close();
  }

  @BeforeEach
  void clearCounts() {
    recorder().reset();
  }

  static RecordingOrigin recorder() {
    return cluster.origin(0);
  }

  @Test
  void secondReadIsServedFromTheCacheByteForByte() {
    byte[] body = Data.bytes(3 * CHUNK + 100, 1);
    backdoorPut("twice", body); // written behind the site: its cache knows nothing of it
    // A grant of another key: the site has heard the coordinator's change count since the put.
    dev.leasehold.testkit.S3Errors.of(() -> s3.headObject(h -> h.bucket(bucket).key("absent")));
    long started = System.nanoTime();
    byte[] first = s3.getObjectAsBytes(g -> g.bucket(bucket).key("twice")).asByteArray();
    assertThat(first).isEqualTo(body);
    // The four chunks in one ranged read (a run), each cached as it came in.
    assertThat(recorder().count(Call.READ, bucket, "twice")).isEqualTo(1);

    // Learning the version: the GET's own headers, asked for beside the grant and after the
    // table's last change of the object, stand for the HEAD (docs/protocol.md, Reads); one HEAD
    // per origin check, should the read be slow.
    assertThat(recorder().count(Call.HEAD, bucket, "twice")).isBetween(0L, checksWithin(started));

    byte[] second = s3.getObjectAsBytes(g -> g.bucket(bucket).key("twice")).asByteArray();
    assertThat(second).isEqualTo(body);
    // Under the READ lease, nothing reached the origin: no GET, and no HEAD either (within the
    // origin check; past it, one HEAD confirms the version, and the chunks are still not fetched).
    assertThat(recorder().count(Call.READ, bucket, "twice")).isEqualTo(1);
    assertThat(recorder().count(Call.HEAD, bucket, "twice")).isBetween(0L, checksWithin(started));
  }

  /** The most origin checks of one object since {@code started}: one per interval passed. */
  private static long checksWithin(long started) {
    return (System.nanoTime() - started) / ORIGIN_CHECK.toNanos();
  }

  @Test
  void anObjectChangedAtTheOriginIsSeenWithinTheOriginCheckAndNeverMixed() throws Exception {
    byte[] v1 = Data.bytes(2 * CHUNK, 2);
    byte[] v2 = Data.bytes(2 * CHUNK, 3);
    backdoorPut("changing", v1);
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("changing")).asByteArray())
        .isEqualTo(v1);
    backdoorPut("changing", v2); // changed at the origin, behind the site
    long changed = System.nanoTime();
    // The old version or the new one, whole; the old one only to a read sent within the origin
    // check. The reads go on until one sent at or past it has answered (a second or so).
    while (true) {
      long sent = System.nanoTime();
      byte[] seen = s3.getObjectAsBytes(g -> g.bucket(bucket).key("changing")).asByteArray();
      if (sent - changed >= ORIGIN_CHECK.toNanos()) {
        assertThat(Arrays.equals(seen, v2))
            .as(
                "a read sent %d ms after the change returned the new version",
                TimeUnit.NANOSECONDS.toMillis(sent - changed))
            .isTrue();
        break;
      }
      assertThat(seen)
          .satisfiesAnyOf(b -> assertThat(b).isEqualTo(v1), b -> assertThat(b).isEqualTo(v2));
      Thread.sleep(50);
    }
    assertThat(
            s3.getObjectAsBytes(g -> g.bucket(bucket).key("changing").range("bytes=0-99"))
                .asByteArray())
        .isEqualTo(Arrays.copyOf(v2, 100));
    cluster.backdoor().delete(bucket, "changing", null);
    Thread.sleep(ORIGIN_CHECK.plusMillis(100).toMillis());
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () -> s3.getObjectAsBytes(g -> g.bucket(bucket).key("changing"))))
        .isInstanceOf(software.amazon.awssdk.services.s3.model.NoSuchKeyException.class);
  }

  @Test
  void aReadOfAnObjectChangedUnderEachOfItsAttemptsIsToldToRetryNotThatAConditionFailed() {
    backdoorPut("restless", Data.bytes(CHUNK, 8));
    // Each time the site reads the version it found, the origin has a newer one already.
    AtomicInteger changes = changedBeforeEachRead("restless", 100, Integer.MAX_VALUE);
    try {
      // The last 100 bytes: a suffix range, read after the version is known (nothing beside it).
      // The client tries once (Clients).
      var e =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              software.amazon.awssdk.services.s3.model.S3Exception.class,
              () -> s3.getObjectAsBytes(g -> g.bucket(bucket).key("restless").range("bytes=-100")));
      // Eight attempts (docs/protocol.md, Reads: a held version the origin contradicts), each of
      // whose reads of the bytes found the origin changed: eight changes at least.
      assertThat(changes.get())
          .as("the origin changed under each attempt")
          .isGreaterThanOrEqualTo(8);
      // No condition of the client's failed: it is told to slow down and retry, never 412.
      assertThat(e.statusCode()).isEqualTo(503);
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SlowDown");
    } finally {
      recorder().beforeEachRead(null);
    }
    // Healed: the origin's latest version is read.
    byte[] last = Data.bytes(CHUNK, 100 + changes.get());
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("restless")).asByteArray())
        .isEqualTo(last);
  }

  @Test
  void aReadOfAnObjectChangedUnderSeveralOfItsAttemptsIsServedTheVersionItFoundLast() {
    backdoorPut("unsettled", Data.bytes(CHUNK, 9));
    // The origin changes before each of the site's first five reads of the bytes, then settles:
    // more than three attempts lose (the bound was three, which the far-coordinator run hit).
    AtomicInteger changes = changedBeforeEachRead("unsettled", 200, 5);
    try {
      byte[] got =
          s3.getObjectAsBytes(g -> g.bucket(bucket).key("unsettled").range("bytes=-100"))
              .asByteArray();
      assertThat(changes.get()).as("the origin changed under the first reads").isEqualTo(5);
      byte[] settled = Data.bytes(CHUNK, 205);
      assertThat(got).isEqualTo(Arrays.copyOfRange(settled, CHUNK - 100, CHUNK));
    } finally {
      recorder().beforeEachRead(null);
    }
  }

  @Test
  void aRangedReadFetchesOnlyTheChunksItTouches() {
    byte[] body = Data.bytes(10 * CHUNK, 4);
    backdoorPut("ranged", body);
    long from = 5L * CHUNK + 10;
    byte[] got =
        s3.getObjectAsBytes(
                g -> g.bucket(bucket).key("ranged").range("bytes=" + from + "-" + (from + 99)))
            .asByteArray();
    assertThat(got).isEqualTo(Arrays.copyOfRange(body, (int) from, (int) from + 100));
    assertThat(recorder().count(Call.READ, bucket, "ranged")).isEqualTo(1);
    // Across a boundary: two chunks, one of them already cached.
    long across = 6L * CHUNK - 50;
    s3.getObjectAsBytes(
        g -> g.bucket(bucket).key("ranged").range("bytes=" + across + "-" + (across + 99)));
    assertThat(recorder().count(Call.READ, bucket, "ranged")).isEqualTo(2);
  }

  @Test
  void concurrentMissesShareOneOriginFetchPerChunk() throws Exception {
    byte[] body = Data.bytes(4 * CHUNK, 5);
    backdoorPut("crowd", body);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Callable<byte[]>> readers = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        readers.add(() -> s3.getObjectAsBytes(g -> g.bucket(bucket).key("crowd")).asByteArray());
      }
      for (Future<byte[]> f : pool.invokeAll(readers)) {
        assertThat(f.get()).isEqualTo(body);
      }
    } finally {
      pool.shutdown();
    }
    // Each chunk is loaded by one run only, however many readers: at most one read per chunk
    // (one, if the first reader's run covered them all before the others looked).
    assertThat(recorder().count(Call.READ, bucket, "crowd")).isBetween(1L, 4L);
  }

  @Test
  void theByteBudgetIsKeptByEviction() {
    long budget = 64L * CHUNK;
    try (LocalCluster small =
            LocalCluster.builder().origin(origin).chunkSize(CHUNK).cacheSize(budget).start();
        S3Client client = small.client(0)) {
      String b = Data.bucket(client);
      for (int i = 0; i < 3; i++) {
        byte[] body = Data.bytes(40 * CHUNK, 10 + i); // three objects, each over half the budget
        String key = "budget-" + i;
        client.putObject(p -> p.bucket(b).key(key), RequestBody.fromBytes(body));
        assertThat(client.getObjectAsBytes(g -> g.bucket(b).key(key)).asByteArray())
            .isEqualTo(body);
      }
      small.site(0).cache().cleanUp();
      assertThat(small.site(0).cache().weightedSize()).isLessThanOrEqualTo(budget);
      // Every chunk file carries a small footer beyond its bytes.
      assertThat(cachedBytesOnDisk(small)).isLessThanOrEqualTo(budget + 64 * 1024);
    }
  }

  @Test
  void writtenBytesAreCachedForTheNextRead() {
    byte[] body = Data.bytes(2 * CHUNK + 1, 6);
    s3.putObject(p -> p.bucket(bucket).key("written"), RequestBody.fromBytes(body));
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("written")).asByteArray())
        .isEqualTo(body);
    assertThat(recorder().count(Call.READ, bucket, "written")).isZero();
  }

  @Test
  void theCacheSurvivesARestartAndDropsTornOrCorruptChunks() throws IOException {
    byte[] body = Data.bytes(3 * CHUNK, 7);
    backdoorPut("durable", body);
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("durable")).asByteArray())
        .isEqualTo(body);
    String etag = cluster.backdoor().head(bucket, "durable").etag();

    // The client has every byte once the last chunk's bytes are in its file; the chunk joins the
    // cache a moment later, when its load has checksummed and moved it into place.
    Await.until(
        () -> chunkFiles("durable", etag).size() == 3,
        Duration.ofSeconds(10),
        "the cold read's three chunks in the cache");
    List<Path> chunks = chunkFiles("durable", etag);
    assertThat(chunks).hasSize(3);
    Path cacheDir = cluster.site(0).config().cacheDir();
    cluster.restart(
        0,
        () -> {
          try {
            // Chunk 0: torn (a crash mid-write left it short). Chunk 1: a flipped bit in its data.
            try (RandomAccessFile f = new RandomAccessFile(chunks.get(0).toFile(), "rw")) {
              f.setLength(f.length() / 2);
            }
            try (RandomAccessFile f = new RandomAccessFile(chunks.get(1).toFile(), "rw")) {
              f.seek(100);
              int b = f.read();
              f.seek(100);
              f.write(b ^ 0x40);
            }
            // A temporary file of a write that never finished.
            Files.write(cacheDir.resolve("tmp").resolve("x.part"), new byte[10]);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    s3.close();
    s3 = cluster.client(0);
    recorder().reset();
    assertThat(cluster.site(0).cache().keys())
        .contains(
            new ChunkKey(bucket, "durable", etag, 1), new ChunkKey(bucket, "durable", etag, 2));
    assertThat(cluster.site(0).cache().keys())
        .doesNotContain(new ChunkKey(bucket, "durable", etag, 0));

    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("durable")).asByteArray())
        .isEqualTo(body);
    // The torn chunk and the corrupt one came again from the origin; the whole one did not.
    assertThat(recorder().count(Call.READ, bucket, "durable")).isEqualTo(2);
    assertThat(cacheDir.resolve("tmp").resolve("x.part")).doesNotExist();

    recorder().reset();
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("durable")).asByteArray())
        .isEqualTo(body);
    assertThat(recorder().count(Call.READ, bucket, "durable")).isZero();
  }

  private List<Path> chunkFiles(String key, String etag) {
    List<Path> files = new ArrayList<>();
    for (long i = 0; ; i++) {
      var chunk = cluster.site(0).cache().getIfPresent(new ChunkKey(bucket, key, etag, i));
      if (chunk == null) {
        return files;
      }
      files.add(chunk.path());
    }
  }

  private static long cachedBytesOnDisk(LocalCluster c) {
    try (Stream<Path> all = Files.walk(c.site(0).config().cacheDir())) {
      return all.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Before each of the site's next {@code times} reads of a version's bytes, {@code key} changes at
   * the origin behind the site, its n-th new body {@code Data.bytes(CHUNK, seed + n)}; the count of
   * changes so far. The test clears it ({@code recorder().beforeEachRead(null)}).
   */
  static AtomicInteger changedBeforeEachRead(String key, long seed, int times) {
    AtomicInteger changes = new AtomicInteger();
    recorder()
        .beforeEachRead(() -> {
          if (changes.get() < times) {
            backdoorPut(key, Data.bytes(CHUNK, seed + changes.incrementAndGet()));
          }
        });
    return changes;
  }

  static void backdoorPut(String key, byte[] body) {
    cluster
        .backdoor()
        .put(bucket, key, Payloads.of(body), ObjectMetadata.EMPTY, WriteCondition.NONE);
  }
}
