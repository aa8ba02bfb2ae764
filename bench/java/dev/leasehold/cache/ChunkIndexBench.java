package dev.leasehold.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The cache index on a hit: the lookup a read makes for each chunk ({@link ChunkCache#get}, which
 * answers a cached chunk with its completed future) over an index of {@code chunks} real chunk
 * files, from one thread and from two.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChunkIndexBench {
  @Param({"10000"})
  public int chunks;

  private Path dir;
  private ChunkCache cache;
  private ChunkKey[] keys;

  @Setup
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("chunk-index-bench");
    cache = new ChunkCache(dir, 1L << 40, 4096, Executors.newVirtualThreadPerTaskExecutor());
    keys = new ChunkKey[chunks];
    byte[] bytes = new byte[16];
    for (int i = 0; i < chunks; i++) {
      keys[i] = new ChunkKey("bench", "objects/" + (i / 4), "etag-" + (i / 4), i % 4);
      cache.get(keys[i], bytes.length, out -> out.write(bytes)).join();
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Benchmark
  public CompletableFuture<ChunkFile> hit() {
    ChunkKey key = keys[ThreadLocalRandom.current().nextInt(keys.length)];
    return cache.get(
        key,
        16,
        out -> {
          throw new IllegalStateException("a hit must not load");
        });
  }

  @Benchmark
  @Threads(2)
  public CompletableFuture<ChunkFile> hitTwoThreads() {
    return hit();
  }

  @Benchmark
  public ChunkKey keyOfRead() {
    // What a read allocates per chunk to look it up.
    int i = ThreadLocalRandom.current().nextInt(keys.length);
    return new ChunkKey("bench", keys[i].key(), keys[i].etag(), keys[i].index());
  }
}
