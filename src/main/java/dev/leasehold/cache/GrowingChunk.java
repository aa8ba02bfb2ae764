package dev.leasehold.cache;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A chunk while it is being loaded: the file its bytes are written to before it is whole, and how
 * many are in, so a reader can send them to its client as they arrive instead of after the whole
 * chunk landed ({@link ChunkCache#growing}). The bytes are read back from the file by path, which
 * stops existing when the chunk is whole (renamed into the cache) or its load failed; the reader
 * then goes on from the chunk's future.
 *
 * <p>Written by one loader thread ({@link #writing}, {@link #advanced}, {@link #ended}); read by
 * any number of readers. Thread-safe: its state is guarded by {@code lock}.
 */
public final class GrowingChunk {
  /** What a reader sees: where the bytes are, how many are in, and whether the load ended. */
  public record Progress(@Nullable Path part, long written, boolean ended) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private @Nullable Path part;
  private long written;
  private boolean ended;

  GrowingChunk() {}

  /** The load writes the chunk's bytes to {@code part}, from its first byte. */
  void writing(Path part) {
    lock.lock();
    try {
      this.part = part;
    } finally {
      lock.unlock();
    }
  }

  /** {@code count} bytes are in the file. */
  void advanced(long count) {
    lock.lock();
    try {
      written = count;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The load ended: the chunk is whole and cached, or it failed (its future says which). */
  void ended() {
    lock.lock();
    try {
      ended = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until at least {@code atLeast} bytes are in, or the load ended, or {@code max} passed;
   * returns what is in then.
   */
  public Progress await(long atLeast, Duration max) throws InterruptedException {
    long left = max.toNanos();
    lock.lock();
    try {
      while (!ended && (part == null || written < atLeast) && left > 0) {
        left = changed.awaitNanos(left);
      }
      return new Progress(part, written, ended);
    } finally {
      lock.unlock();
    }
  }
}
