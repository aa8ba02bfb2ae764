package dev.leasehold.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.IllegalReferenceCountException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The hottest small chunks, their bytes held in memory above the disk tier (docs/design.md, The
 * memory tier): a hit on one is a write from memory, with no file opened or read.
 *
 * <p><b>What it holds:</b> copies of whole chunks of at most {@link #maxEntry} bytes, keyed as on
 * disk, by version ({@link ChunkKey} names the ETag). A read reaches a chunk only after the lease
 * rules named its version, so the rules that keep the disk tier from serving an old version keep
 * this tier from it too: a recall or a new version changes the version reads look for, and the old
 * one's bytes are never asked for again. A chunk the disk tier drops (evicted, found corrupt,
 * dropped by an operator) is dropped here as well ({@link ChunkCache}'s removal listener).
 *
 * <p><b>Admission:</b> a chunk is copied in on the second time it is read from disk within the
 * doorkeeper's memory (a chunk read once, as a scan reads, costs no copy), and then competes by
 * frequency under Caffeine's W-TinyLFU, as the disk tier's chunks do.
 *
 * <p><b>Memory:</b> the bytes are direct buffers that are freed when their last user releases them:
 * the tier holds one reference and each response being written another, so an evicted chunk's
 * memory goes back when the last response that sends it is written, not at some later collection.
 * The budget counts the tier's own chunks.
 *
 * <p>Thread-safe: Caffeine owns the map; a buffer is never written after it is put.
 */
final class MemoryTier {
  private final Cache<ChunkKey, ByteBuf> chunks;
  private final Cache<ChunkKey, Boolean> seen;
  private final long budget;
  private final long maxEntry;
  private final LongAdder hits = new LongAdder();

  /**
   * @param budget the most bytes of chunks held (0: none are)
   * @param maxEntry the largest chunk held
   */
  MemoryTier(long budget, long maxEntry) {
    this.budget = budget;
    this.maxEntry = Math.min(maxEntry, budget);
    this.chunks =
        Caffeine.newBuilder()
            .maximumWeight(budget)
            .weigher((ChunkKey k, ByteBuf v) -> v.capacity())
            .removalListener(MemoryTier::removed)
            .executor(Runnable::run) // memory goes back as soon as a chunk leaves
            .build();
    // Keys only: as many as chunks of the smallest kind the budget could hold, four times over.
    this.seen =
        Caffeine.newBuilder()
            .maximumSize(Math.max(1024, Math.min(1 << 20, 4 * budget / 4096)))
            .executor(Runnable::run)
            .build();
  }

  long budget() {
    return budget;
  }

  /** Whether a chunk of {@code length} bytes could be held. */
  boolean holds(long length) {
    return length > 0 && length <= maxEntry;
  }

  /**
   * The chunk's bytes, if held: a buffer of its own (released by whoever writes it), or null. A
   * chunk evicted while it was being looked up is not held.
   */
  @Nullable HeldBytes get(ChunkKey key) {
    ByteBuf held = chunks.getIfPresent(key);
    if (held == null) {
      return null;
    }
    try {
      HeldBytes mine = new HeldBytes(held.retainedDuplicate());
      hits.increment();
      return mine;
    } catch (IllegalReferenceCountException evicted) {
      return null; // released by its eviction between the lookup and the retain
    }
  }

  /**
   * {@code file} was read from disk for chunk {@code key} of {@code length} bytes: copies it in if
   * it is read often enough ({@link MemoryTier}, Admission), and returns the bytes held then (a
   * buffer of the caller's own), else null. The file is left open, at any position.
   */
  @Nullable HeldBytes offer(ChunkKey key, FileChannel file, long length) throws IOException {
    if (!holds(length) || seen.asMap().putIfAbsent(key, Boolean.TRUE) == null) {
      return null; // the first time: remembered, not copied
    }
    ByteBuf bytes = UnpooledByteBufAllocator.DEFAULT.directBuffer((int) length, (int) length);
    try {
      int done = 0;
      while (done < length) {
        int n = bytes.writeBytes(file, done, (int) length - done);
        if (n < 0) {
          throw new CorruptChunkException("chunk ended at " + done + " of " + length);
        }
        done += n;
      }
    } catch (IOException | RuntimeException e) {
      bytes.release();
      throw e;
    }
    HeldBytes mine = new HeldBytes(bytes.retainedDuplicate());
    ByteBuf before = chunks.asMap().putIfAbsent(key, bytes);
    if (before != null) {
      bytes.release(); // another read put it first: the same bytes
    }
    return mine;
  }

  /** Whether the chunk is held, without counting as a read of it (for tests). */
  boolean contains(ChunkKey key) {
    return chunks.policy().getIfPresentQuietly(key) != null;
  }

  void invalidate(ChunkKey key) {
    chunks.invalidate(key);
  }

  /** Bytes held now. */
  long weightedSize() {
    return chunks.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }

  /** Chunks held now. */
  long size() {
    return chunks.estimatedSize();
  }

  /** Reads answered from memory. */
  long hits() {
    return hits.sum();
  }

  /** Applies pending evictions now (they otherwise run soon after the write that caused them). */
  void cleanUp() {
    chunks.cleanUp();
  }

  private static void removed(@Nullable ChunkKey key, @Nullable ByteBuf bytes, RemovalCause cause) {
    if (bytes != null) {
      bytes.release();
    }
  }
}
