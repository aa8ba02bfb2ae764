package dev.leasehold.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Chunk files kept open, so a read of a hot chunk from disk is one {@code pread} or one {@code
 * sendfile}, not an open, a read and a close: a bounded pool of descriptors, the most used kept
 * (Caffeine's W-TinyLFU by count). Each is lent to reads as a {@link HeldFile}; a file the pool
 * lets go (evicted from it, or its chunk dropped from the cache, {@link ChunkCache}) closes once
 * its last read gives it back. A chunk's file is never written after it is cached and is deleted
 * only when the chunk leaves the cache, so an open descriptor always reads the chunk whole.
 *
 * <p>Thread-safe: Caffeine owns the map; each {@link HeldFile} counts its holders atomically.
 */
final class OpenChunks {
  /** By file, not by chunk: a chunk loaded again is another file, and never shares a descriptor. */
  private final Cache<Path, HeldFile> open;

  private final LongAdder opened = new LongAdder();

  /**
   * @param max the most files kept open (0: none; every read opens its own)
   */
  OpenChunks(int max) {
    this.open =
        Caffeine.newBuilder()
            .maximumSize(max)
            .removalListener(OpenChunks::removed)
            .executor(Runnable::run) // a descriptor goes back as soon as it leaves
            .build();
  }

  /**
   * The chunk's file, open for reading, lent to the caller: kept open if it is, else opened (and
   * checked against its checksum, the first time a chunk found at start-up is read) and kept.
   *
   * @throws java.nio.file.NoSuchFileException if the chunk was evicted meanwhile
   * @throws CorruptChunkException if its bytes do not match their checksum
   */
  HeldFile lend(ChunkFile chunk) throws IOException {
    HeldFile kept = open.getIfPresent(chunk.path());
    if (kept != null) {
      HeldFile mine = kept.lend();
      if (mine != null) {
        return mine;
      }
    }
    HeldFile fresh = new HeldFile(chunk.open()); // the caller's hold
    opened.increment();
    HeldFile pools = fresh.lend(); // and the pool's, if it keeps it
    if (pools != null && open.asMap().putIfAbsent(chunk.path(), pools) != null) {
      pools.release(); // another read kept its own first: this one is the caller's alone
    }
    return fresh;
  }

  /** Lets the file go: it closes once no read holds it. */
  void invalidate(Path file) {
    open.invalidate(file);
  }

  /** Files opened so far (the rest were lent from the pool). */
  long opened() {
    return opened.sum();
  }

  /** Files kept open now. */
  long size() {
    return open.estimatedSize();
  }

  void cleanUp() {
    open.cleanUp();
  }

  private static void removed(@Nullable Path path, @Nullable HeldFile file, RemovalCause c) {
    if (file != null) {
      file.release();
    }
  }
}
