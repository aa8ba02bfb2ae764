package dev.leasehold.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkCacheTest {
  static final long CHUNK = 64 * 1024;

  @TempDir Path dir;
  final ExecutorService loaders = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() {
    loaders.shutdownNow();
  }

  ChunkCache open(long budget) {
    return new ChunkCache(dir, budget, CHUNK, loaders);
  }

  static ChunkLoader bytes(byte value, int n) {
    return out -> {
      byte[] b = new byte[n];
      java.util.Arrays.fill(b, value);
      out.write(b);
    };
  }

  static byte[] read(ChunkFile chunk) throws IOException {
    try (FileChannel ch = chunk.open()) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) chunk.length());
      ch.read(b, 0);
      return b.array();
    }
  }

  @Test
  void concurrentMissesRunOneLoad() throws Exception {
    ChunkCache cache = open(10 * CHUNK);
    ChunkKey key = new ChunkKey("b", "k", "e", 0);
    AtomicInteger loads = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    ChunkLoader slow =
        out -> {
          loads.incrementAndGet();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
          out.write(new byte[100]);
        };
    List<CompletableFuture<ChunkFile>> waiting = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      waiting.add(cache.get(key, 100, slow));
    }
    release.countDown();
    for (CompletableFuture<ChunkFile> f : waiting) {
      assertThat(f.get(10, TimeUnit.SECONDS).length()).isEqualTo(100);
    }
    assertThat(loads.get()).isEqualTo(1);
  }

  @Test
  void aFailedLoadIsNotCachedAndLeavesNoFile() throws Exception {
    ChunkCache cache = open(10 * CHUNK);
    ChunkKey key = new ChunkKey("b", "k", "e", 0);
    assertThatThrownBy(() -> cache.get(key, 100, out -> out.write(new byte[99])).join())
        .isInstanceOf(CompletionException.class)
        .hasRootCauseMessage("chunk " + key + " loaded 99 bytes, expected 100");
    assertThatThrownBy(() ->
            cache
                .get(
                    key,
                    100,
                    out -> {
                      throw new IOException("origin down");
                    })
                .join())
        .isInstanceOf(CompletionException.class);
    assertThat(cache.getIfPresent(key)).isNull();
    assertThat(read(cache.get(key, 100, bytes((byte) 7, 100)).get())).containsOnly(7);
    try (var files = Files.walk(dir.resolve("tmp"))) {
      assertThat(files.filter(Files::isRegularFile)).isEmpty();
    }
  }

  @Test
  void rebuildsFromDiskAndDropsWhatIsNotAWholeChunk() throws Exception {
    ChunkCache cache = open(100 * CHUNK);
    for (int i = 0; i < 5; i++) {
      cache
          .get(new ChunkKey("b", "key/" + i, "etag", i), CHUNK, bytes((byte) i, (int) CHUNK))
          .get();
    }
    ChunkFile torn = cache.getIfPresent(new ChunkKey("b", "key/3", "etag", 3));
    ChunkFile footerless = cache.getIfPresent(new ChunkKey("b", "key/4", "etag", 4));
    try (RandomAccessFile f = new RandomAccessFile(torn.path().toFile(), "rw")) {
      f.setLength(f.length() - 1);
    }
    try (RandomAccessFile f = new RandomAccessFile(footerless.path().toFile(), "rw")) {
      f.setLength(CHUNK);
    }
    Files.write(dir.resolve("tmp").resolve("half.part"), new byte[10]);

    ChunkCache reopened = open(100 * CHUNK);
    assertThat(reopened.size()).isEqualTo(3);
    assertThat(reopened.getIfPresent(new ChunkKey("b", "key/3", "etag", 3))).isNull();
    assertThat(torn.path()).doesNotExist();
    assertThat(footerless.path()).doesNotExist();
    assertThat(dir.resolve("tmp").resolve("half.part")).doesNotExist();
    ChunkFile kept = reopened.getIfPresent(new ChunkKey("b", "key/2", "etag", 2));
    assertThat(read(kept)).containsOnly(2);
  }

  @Test
  void aFlippedBitIsCaughtOnFirstServeAfterRestart() throws Exception {
    open(10 * CHUNK).get(new ChunkKey("b", "k", "e", 0), CHUNK, bytes((byte) 1, (int) CHUNK)).get();
    ChunkCache reopened = open(10 * CHUNK);
    ChunkFile chunk = reopened.getIfPresent(new ChunkKey("b", "k", "e", 0));
    try (RandomAccessFile f = new RandomAccessFile(chunk.path().toFile(), "rw")) {
      f.seek(10);
      f.write(3);
    }
    assertThatThrownBy(chunk::open).isInstanceOf(CorruptChunkException.class);
  }

  @Test
  void aDifferentChunkSizeInvalidatesEverything() throws Exception {
    open(10 * CHUNK).get(new ChunkKey("b", "k", "e", 0), CHUNK, bytes((byte) 1, (int) CHUNK)).get();
    ChunkCache other = new ChunkCache(dir, 10 * CHUNK, 2 * CHUNK, loaders);
    assertThat(other.size()).isZero();
  }

  @Test
  void evictionKeepsTheBudgetAndDeletesFiles() throws Exception {
    ChunkCache cache = open(8 * CHUNK);
    for (int i = 0; i < 40; i++) {
      cache.get(new ChunkKey("b", "k", "e", i), CHUNK, bytes((byte) i, (int) CHUNK)).get();
    }
    // A load's completion (which weighs the entry and may evict another) can still run on its
    // loader's thread after its future completed: the files and the index agree once it has.
    dev.leasehold.testkit.Await.until(
        () -> {
          cache.cleanUp();
          return cache.weightedSize() <= 8 * CHUNK && regularFiles() == cache.size();
        },
        java.time.Duration.ofSeconds(10),
        "every evicted chunk's file deleted, within the budget");
    assertThat(cache.weightedSize()).isLessThanOrEqualTo(8 * CHUNK);
    assertThat(regularFiles()).isEqualTo(cache.size());
  }

  /** The files under the cache's directory; -1 if one went while they were counted. */
  private long regularFiles() {
    try (var all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).count();
    } catch (IOException | java.io.UncheckedIOException e) {
      return -1;
    }
  }

  @Test
  void pinnedChunksSurviveEvictionAndRestartsUntilUnpinned() throws Exception {
    ChunkCache cache = open(8 * CHUNK);
    for (int i = 0; i < 4; i++) {
      cache.get(new ChunkKey("b", "keep/" + i, "e", 0), CHUNK, bytes((byte) i, (int) CHUNK)).get();
    }
    cache.pin("b", "keep/"); // pins what is cached, and what comes later
    cache.get(new ChunkKey("b", "keep/late", "e", 0), CHUNK, bytes((byte) 9, (int) CHUNK)).get();
    for (int i = 0; i < 40; i++) {
      cache.get(new ChunkKey("b", "churn", "e", i), CHUNK, bytes((byte) i, (int) CHUNK)).get();
    }
    cache.cleanUp();
    for (int i = 0; i < 4; i++) {
      assertThat(cache.getIfPresent(new ChunkKey("b", "keep/" + i, "e", 0))).isNotNull();
    }
    assertThat(cache.getIfPresent(new ChunkKey("b", "keep/late", "e", 0))).isNotNull();
    assertThat(cache.pinnedBytes()).isEqualTo(5 * CHUNK);
    assertThat(cache.weightedSize()).isLessThanOrEqualTo(8 * CHUNK); // pins are on top

    ChunkCache reopened = open(8 * CHUNK);
    assertThat(reopened.pins()).containsExactly(java.util.Map.entry("b", "keep/"));
    assertThat(reopened.pinnedBytes()).isEqualTo(5 * CHUNK);
    assertThat(reopened.size()).isGreaterThan(8); // the budget's worth, and the pinned on top
    assertThat(reopened.unpin("b", "keep/")).isTrue();
    assertThat(reopened.unpin("b", "keep/")).isFalse();
    reopened.cleanUp();
    // Unpinned, they count against the budget again: the cache is back within it.
    assertThat(reopened.pinnedBytes()).isZero();
    assertThat(reopened.size()).isLessThanOrEqualTo(8);
    assertThat(reopened.weightedSize()).isLessThanOrEqualTo(8 * CHUNK);
  }

  @Test
  void putCopiesARangeOfAFile() throws Exception {
    ChunkCache cache = open(10 * CHUNK);
    Path staged = dir.resolve("staged");
    byte[] data = new byte[3000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) i;
    }
    Files.write(staged, data);
    try (FileChannel source = FileChannel.open(staged)) {
      cache.put(new ChunkKey("b", "k", "e", 1), source, 1000, 1000);
    }
    byte[] got = read(cache.getIfPresent(new ChunkKey("b", "k", "e", 1)));
    assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 2000));
  }

  @Test
  void adoptMovesAFileInWithoutCopyingItAndTheChunkSurvivesARestart() throws Exception {
    ChunkCache cache = open(10 * CHUNK);
    Path staged = Files.createDirectories(dir.resolve("staging")).resolve("body");
    byte[] data = new byte[3000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 7);
    }
    Files.write(staged, data);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(data);
    ChunkKey key = new ChunkKey("b", "k", "e", 0);
    Object inode =
        Files.readAttributes(staged, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

    assertThat(cache.adopt(key, staged, data.length, (int) crc.getValue())).isTrue();

    assertThat(staged).doesNotExist();
    ChunkFile chunk = cache.getIfPresent(key);
    assertThat(read(chunk)).isEqualTo(data);
    assertThat(
            Files.readAttributes(chunk.path(), java.nio.file.attribute.BasicFileAttributes.class)
                .fileKey())
        .as("the same file, moved")
        .isEqualTo(inode);
    ChunkFile kept = open(10 * CHUNK).getIfPresent(key);
    assertThat(kept).as("found again after a restart").isNotNull();
    assertThat(read(kept)).isEqualTo(data);
  }

  @Test
  void adoptOfAChunkCachedAlreadyLeavesTheFileAndAWrongChecksumIsCaughtAfterARestart()
      throws Exception {
    ChunkCache cache = open(10 * CHUNK);
    ChunkKey key = new ChunkKey("b", "k", "e", 0);
    cache.get(key, 100, bytes((byte) 5, 100)).get();
    Path other = dir.resolve("other");
    Files.write(other, new byte[100]);
    assertThat(cache.adopt(key, other, 100, 0)).isTrue();
    assertThat(other).exists();
    assertThat(read(cache.getIfPresent(key))).containsOnly(5);

    ChunkKey wrong = new ChunkKey("b", "k2", "e", 0);
    Path bad = dir.resolve("bad");
    Files.write(bad, new byte[] {1, 2, 3});
    assertThat(cache.adopt(wrong, bad, 3, 12345)).isTrue();
    ChunkFile reopened = open(10 * CHUNK).getIfPresent(wrong);
    assertThatThrownBy(reopened::open).isInstanceOf(CorruptChunkException.class);
  }

  /** Three chunks' bytes in one stream: chunk i is all (i + 1). */
  static java.io.InputStream runBytes(int chunks, int last) {
    byte[] all = new byte[(int) (CHUNK * (chunks - 1)) + last];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) (i / CHUNK + 1);
    }
    return new java.io.ByteArrayInputStream(all);
  }

  @Test
  void aRunCachesEachChunkFromOneStreamAndSkipsOnesLoadingElsewhere() throws Exception {
    ChunkCache cache = open(10 * CHUNK);
    List<ChunkKey> keys = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      keys.add(new ChunkKey("b", "k", "e", i));
    }
    // Chunk 1 is being loaded by another reader: the run must share it, not load it again.
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<ChunkFile> other =
        cache.get(
            keys.get(1),
            CHUNK,
            out -> {
              await(release);
              bytes((byte) 2, (int) CHUNK).load(out);
            });
    AtomicInteger opened = new AtomicInteger();
    List<ChunkCache.Loading> run =
        cache.getRun(
            keys,
            new long[] {CHUNK, CHUNK, 100},
            () -> {
              opened.incrementAndGet();
              return runBytes(3, 100);
            });
    assertThat(run).extracting(ChunkCache.Loading::byThisRun).containsExactly(true, false, true);
    assertThat(run.get(1).future()).isSameAs(other);
    assertThat(read(run.get(0).future().get(10, TimeUnit.SECONDS))).containsOnly(1);
    assertThat(read(run.get(2).future().get(10, TimeUnit.SECONDS))).hasSize(100).containsOnly(3);
    release.countDown();
    assertThat(read(run.get(1).future().get(10, TimeUnit.SECONDS))).containsOnly(2);
    assertThat(opened).hasValue(1);
    assertThat(cache.size()).isEqualTo(3);
  }

  @Test
  void aRunCutShortFailsTheChunksNotInAndLeavesThemOutOfTheIndex() throws Exception {
    ChunkCache cache = open(10 * CHUNK);
    List<ChunkKey> keys = List.of(new ChunkKey("b", "k", "e", 0), new ChunkKey("b", "k", "e", 1));
    List<ChunkCache.Loading> run =
        cache.getRun(keys, new long[] {CHUNK, CHUNK}, () -> runBytes(2, 10)); // 10 of 64 KiB
    assertThat(read(run.get(0).future().get(10, TimeUnit.SECONDS))).containsOnly(1);
    assertThatThrownBy(() -> run.get(1).future().get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(java.io.EOFException.class);
    org.awaitility.Awaitility.await().until(() -> cache.getIfPresent(keys.get(1)) == null);
    assertThat(read(cache.get(keys.get(1), CHUNK, bytes((byte) 9, (int) CHUNK)).join()))
        .containsOnly(9);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
