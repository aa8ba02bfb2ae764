package dev.leasehold.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryTierTest {
  static final long CHUNK = 64 * 1024;

  @TempDir Path dir;
  final ExecutorService loaders = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() {
    loaders.shutdownNow();
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 31 + seed);
    }
    return b;
  }

  private Path file(String name, byte[] content) throws IOException {
    return Files.write(dir.resolve(name), content);
  }

  private static byte[] drain(HeldBytes held) {
    return drain(held.take());
  }

  private static byte[] drain(ByteBuf buf) {
    byte[] out = new byte[buf.readableBytes()];
    buf.getBytes(buf.readerIndex(), out);
    return out;
  }

  /** Offers {@code content} as chunk {@code key} read from disk; what the tier answers. */
  private HeldBytes offer(MemoryTier tier, ChunkKey key, byte[] content) throws IOException {
    return offer(tier, key, file(key.key() + "-" + key.index(), content), content.length);
  }

  private static HeldBytes offer(MemoryTier tier, ChunkKey key, Path file, int length)
      throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return tier.offer(key, ch, length);
    }
  }

  @Test
  void aChunkIsCopiedInTheSecondTimeItIsReadFromDisk() throws IOException {
    MemoryTier tier = new MemoryTier(1 << 20, 1 << 20);
    ChunkKey key = new ChunkKey("b", "k", "etag-1", 0);
    byte[] content = bytes(4096, 1);

    assertThat(offer(tier, key, content)).as("first read: only remembered").isNull();
    assertThat(tier.get(key)).isNull();

    HeldBytes second = offer(tier, key, content);
    assertThat(second).as("second read: copied in").isNotNull();
    assertThat(drain(second)).isEqualTo(content);
    second.release();

    HeldBytes held = tier.get(key);
    assertThat(held).isNotNull();
    assertThat(drain(held)).isEqualTo(content);
    held.release();
    assertThat(tier.hits()).isEqualTo(1);
    assertThat(tier.weightedSize()).isEqualTo(content.length);
  }

  @Test
  void anotherVersionIsAnotherChunk() throws IOException {
    MemoryTier tier = new MemoryTier(1 << 20, 1 << 20);
    ChunkKey old = new ChunkKey("b", "k", "etag-1", 0);
    byte[] oldBytes = bytes(4096, 1);
    offer(tier, old, oldBytes);
    offer(tier, old, oldBytes).release();

    ChunkKey next = new ChunkKey("b", "k", "etag-2", 0);
    assertThat(tier.get(next)).as("the new version's bytes are not the old one's").isNull();
  }

  @Test
  void chunksLargerThanTheLargestEntryAreNeverHeld() throws IOException {
    MemoryTier tier = new MemoryTier(1 << 20, 8192);
    ChunkKey key = new ChunkKey("b", "big", "e", 0);
    byte[] content = bytes(8193, 2);
    offer(tier, key, content);
    assertThat(offer(tier, key, content)).isNull();
    assertThat(tier.get(key)).isNull();
    assertThat(tier.weightedSize()).isZero();
  }

  @Test
  void aZeroBudgetHoldsNothing() throws IOException {
    MemoryTier tier = new MemoryTier(0, 1 << 20);
    ChunkKey key = new ChunkKey("b", "k", "e", 0);
    offer(tier, key, bytes(100, 3));
    assertThat(offer(tier, key, bytes(100, 3))).isNull();
    assertThat(tier.get(key)).isNull();
  }

  @Test
  void theBudgetIsHeldAndEvictedMemoryIsFreedOnceItsLastWriterReleasesIt() throws IOException {
    int size = 16 * 1024;
    long budget = 8L * size;
    MemoryTier tier = new MemoryTier(budget, 1 << 20);
    ChunkKey first = new ChunkKey("b", "k-0", "e", 0);
    offer(tier, first, bytes(size, 0));
    HeldBytes lent = offer(tier, first, bytes(size, 0)); // a response still writing it
    assertThat(lent).isNotNull();
    ByteBuf inFlight = lent.take();
    ByteBuf tiersOwn = inFlight.unwrap() == null ? inFlight : inFlight.unwrap();

    for (int i = 1; i < 1000 && tier.contains(first); i++) {
      ChunkKey key = new ChunkKey("b", "k-" + i, "e", 0);
      for (int read = 0; read < 5; read++) { // read often: each outweighs the first chunk
        HeldBytes b = offer(tier, key, bytes(size, i));
        if (b != null) {
          b.release();
        }
        HeldBytes h = tier.get(key);
        if (h != null) {
          h.release();
        }
      }
      tier.cleanUp();
      assertThat(tier.weightedSize()).as("held after %d chunks", i + 1).isLessThanOrEqualTo(budget);
    }
    assertThat(tier.contains(first)).as("evicted").isFalse();
    assertThat(tier.get(first)).isNull();
    assertThat(tiersOwn.refCnt()).as("the response's reference keeps the bytes").isEqualTo(1);
    assertThat(drain(inFlight)).isEqualTo(bytes(size, 0));
    inFlight.release();
    assertThat(tiersOwn.refCnt()).as("freed with the last reference").isZero();
  }

  @Test
  void aReadRacingAnEvictionGetsTheWholeChunkOrNothing() throws Exception {
    int size = 4096;
    MemoryTier tier = new MemoryTier(4L * size, 1 << 20);
    List<ChunkKey> keys = new ArrayList<>();
    List<byte[]> contents = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      keys.add(new ChunkKey("b", "k-" + i, "e", 0));
      contents.add(bytes(size, i));
      files.add(file("race-" + i, contents.get(i)));
    }
    List<CompletableFuture<Void>> readers = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    for (int t = 0; t < 4; t++) {
      int seed = t;
      readers.add(
          CompletableFuture.runAsync(
              () -> {
                java.util.Random random = new java.util.Random(seed);
                for (int n = 0; n < 20_000 && System.nanoTime() < deadline; n++) {
                  int i = random.nextInt(keys.size());
                  HeldBytes b;
                  try {
                    b =
                        random.nextBoolean()
                            ? tier.get(keys.get(i))
                            : offer(tier, keys.get(i), files.get(i), size);
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                  if (b != null) {
                    assertThat(drain(b)).isEqualTo(contents.get(i));
                    b.release();
                  }
                }
              },
              loaders));
    }
    CompletableFuture.allOf(readers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    tier.cleanUp();
    assertThat(tier.weightedSize()).isLessThanOrEqualTo(4L * size);
  }

  @Test
  void aChunkTheDiskTierDropsLeavesMemoryToo() throws Exception {
    ChunkCache cache = new ChunkCache(dir.resolve("cache"), 10 * CHUNK, CHUNK, 1 << 20, loaders);
    ChunkKey key = new ChunkKey("b", "k", "e", 0);
    byte[] content = "hello, memory".getBytes(StandardCharsets.UTF_8);
    ChunkFile chunk = cache.get(key, content.length, out -> out.write(content)).get();
    for (int read = 0; read < 2; read++) {
      try (FileChannel ch = chunk.open()) {
        HeldBytes b = cache.offerToMemory(chunk, ch);
        if (b != null) {
          b.release();
        }
      }
    }
    HeldBytes held = cache.inMemory(key);
    assertThat(held).isNotNull();
    assertThat(Arrays.equals(drain(held.take()), content)).isTrue();
    held.release();
    assertThat(cache.memorySize()).isEqualTo(content.length);

    cache.invalidate(key); // as a corrupt chunk, or an operator's evict
    assertThat(cache.inMemory(key)).isNull();
    assertThat(cache.memorySize()).isZero();

    // A read that opened the chunk before it was dropped offers it after: memory does not keep it.
    ChunkFile again = cache.get(key, content.length, out -> out.write(content)).get();
    try (FileChannel ch = again.open()) {
      cache.invalidate(key);
      for (int read = 0; read < 2; read++) {
        HeldBytes b = cache.offerToMemory(again, ch);
        if (b != null) {
          b.release();
        }
      }
    }
    assertThat(cache.inMemory(key)).as("dropped on disk meanwhile").isNull();
    assertThat(cache.memorySize()).isZero();
  }
}
