package dev.leasehold.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's chunk cache: chunk files on disk ({@link ChunkStore}) indexed by a Caffeine cache
 * weighted by bytes, so the byte budget is enforced by W-TinyLFU eviction.
 *
 * <p><b>Single flight:</b> the index maps a key to the future of its chunk; concurrent misses on
 * one key share that future, so one loader runs however many readers wait. A failed load leaves
 * nothing behind (Caffeine drops failed futures), and the next reader tries again.
 *
 * <p><b>Restarts:</b> at construction the index is rebuilt from the chunk files on disk; files that
 * are not whole chunks are removed ({@link ChunkFile}).
 *
 * <p><b>Ownership:</b> the index owns which chunk files are live. A file is deleted only by the
 * index's removal listener when its entry is evicted or invalidated, and every file has a unique
 * name, so a reader that opened a file before its eviction reads it whole (the open descriptor
 * keeps the bytes), and a reader that finds it gone asks again ({@link #get}).
 *
 * <p>Thread-safe.
 */
public final class ChunkCache {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);

  private final ChunkStore store;
  private final AsyncCache<ChunkKey, ChunkFile> index;
  private final Executor loaders;
  private final long chunkSize;
  private final long budget;
  private final Pins pins;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder fromCache = new LongAdder();
  private final LongAdder fromOrigin = new LongAdder();

  /** The largest chunk the memory tier holds: above it, {@code sendfile} from disk costs less. */
  static final long MEMORY_ENTRY_MAX = 1 << 20;

  private final MemoryTier memory;

  /** How many chunk files are kept open for reads ({@link OpenChunks}). */
  static final int OPEN_FILES = 256;

  private final OpenChunks openFiles = new OpenChunks(OPEN_FILES);

  /**
   * The chunks being loaded now, with how much of each is in: added when a load is started, removed
   * when its future completed (then {@link GrowingChunk#ended}). Written by the loads; read by any
   * reader ({@link #growing}).
   */
  private final Map<ChunkKey, GrowingChunk> growing = new ConcurrentHashMap<>();

  /**
   * Opens the cache in {@code dir}, rebuilding its index from disk.
   *
   * @param budget the most bytes of chunks to keep
   * @param chunkSize the size of every chunk but an object's last
   * @param loaders where loads run (they block on the origin)
   */
  public ChunkCache(Path dir, long budget, long chunkSize, Executor loaders) {
    this(dir, budget, chunkSize, 0, loaders);
  }

  /**
   * As {@link #ChunkCache(Path, long, long, Executor)}, with the hottest small chunks' bytes also
   * held in memory, up to {@code memoryBudget} bytes ({@link MemoryTier}; 0: none are).
   */
  public ChunkCache(Path dir, long budget, long chunkSize, long memoryBudget, Executor loaders) {
    this.memory = new MemoryTier(memoryBudget, MEMORY_ENTRY_MAX);
    this.chunkSize = chunkSize;
    this.budget = budget;
    this.loaders = loaders;
    try {
      this.store = new ChunkStore(dir, chunkSize);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open cache directory " + dir, e);
    }
    this.pins = new Pins(dir);
    this.index =
        Caffeine.newBuilder()
            .maximumWeight(budget)
            // A pinned chunk weighs nothing, so eviction never picks it (see pin).
            .weigher((ChunkKey k, ChunkFile v) ->
                pins.covers(k) ? 0 : (int) Math.min(Integer.MAX_VALUE, v.length()))
            .removalListener(this::removed)
            // Maintenance and file deletion run on the thread that caused them (a loader's
            // virtual thread), so the files on disk never lag the index by more than a call.
            .executor(Runnable::run)
            .recordStats()
            .buildAsync();
    rebuild();
  }

  private void rebuild() {
    try {
      long bytes = 0;
      int count = 0;
      for (ChunkFile chunk : store.scan()) {
        ChunkFile previous = index.synchronous().asMap().putIfAbsent(chunk.key(), chunk);
        if (previous != null) {
          store.delete(chunk); // two files for one chunk: keep one
        } else {
          bytes += chunk.length();
          count++;
        }
      }
      index.synchronous().cleanUp();
      LOG.info("cache index rebuilt: {} chunks, {} bytes", count, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan cache directory", e);
    }
  }

  public long chunkSize() {
    return chunkSize;
  }

  public long budget() {
    return budget;
  }

  /**
   * The chunk {@code key}, from the cache or loaded by {@code loader} (once for all concurrent
   * callers). The future fails with the loader's exception if the load fails.
   */
  public CompletableFuture<ChunkFile> get(ChunkKey key, long length, ChunkLoader loader) {
    while (true) {
      boolean[] started = {false};
      CompletableFuture<ChunkFile> future =
          index.get(
              key,
              (k, executor) -> {
                started[0] = true;
                GrowingChunk g = grows(k);
                CompletableFuture<ChunkFile> load =
                    CompletableFuture.supplyAsync(
                        () -> {
                          try {
                            return store.write(k, length, loader, g);
                          } catch (IOException e) {
                            throw new CompletionException(e);
                          }
                        },
                        loaders);
                load.whenComplete((chunk, e) -> ended(k, g));
                return load;
              });
      if (started[0] || !future.isCompletedExceptionally()) {
        return future;
      }
      // Another caller's load failed and its future is not yet gone: that failure is not ours to
      // report, so load again.
      index.asMap().remove(key, future);
    }
  }

  /**
   * A chunk of a run: its future, and, if this run loads it (another reader was not first), its
   * load as it grows.
   */
  public record Loading(CompletableFuture<ChunkFile> future, @Nullable GrowingChunk growing) {
    /** Whether this run loads the chunk. */
    public boolean byThisRun() {
      return growing != null;
    }
  }

  /** Where a run's bytes come from: one stream of all its chunks, in order. */
  @FunctionalInterface
  public interface RunSource {
    InputStream open() throws IOException;
  }

  /**
   * Loads consecutive chunks ({@code keys}, of {@code lengths}) from one stream ({@link RunSource},
   * such as one ranged GET at the origin), each cached and its future completed as soon as its
   * bytes are in, so a reader sends the first while the rest arrive: one origin request for many
   * chunks, where {@link #get} makes one per chunk. Single flight as {@link #get}: a chunk another
   * reader is loading already is skipped in the stream and its future shared. If the stream fails,
   * the futures of the chunks not yet in fail (and leave the index), so readers load them again.
   */
  public List<Loading> getRun(List<ChunkKey> keys, long[] lengths, RunSource source) {
    List<Loading> out = new java.util.ArrayList<>(keys.size());
    for (ChunkKey key : keys) {
      CompletableFuture<ChunkFile> mine = new CompletableFuture<>();
      CompletableFuture<ChunkFile> prior = index.asMap().putIfAbsent(key, mine);
      out.add(prior == null ? new Loading(mine, grows(key)) : new Loading(prior, null));
    }
    loaders.execute(() -> loadRun(keys, lengths, source, out));
    return out;
  }

  private void loadRun(List<ChunkKey> keys, long[] lengths, RunSource source, List<Loading> run) {
    if (run.stream().noneMatch(Loading::byThisRun)) {
      return; // every chunk of it is another reader's to load: nothing to read
    }
    int i = 0;
    try (InputStream in = source.open()) {
      for (; i < keys.size(); i++) {
        long length = lengths[i];
        GrowingChunk g = run.get(i).growing();
        if (g == null) {
          in.skipNBytes(length);
          continue;
        }
        ChunkFile chunk = store.write(keys.get(i), length, out -> copy(in, out, length), g);
        run.get(i).future().complete(chunk);
        ended(keys.get(i), g);
      }
    } catch (IOException | RuntimeException e) {
      for (; i < keys.size(); i++) {
        GrowingChunk g = run.get(i).growing();
        if (g != null) {
          run.get(i).future().completeExceptionally(e);
          ended(keys.get(i), g);
        }
      }
    }
  }

  /** A load of {@code key} starts: readers may follow its bytes as they land. */
  private GrowingChunk grows(ChunkKey key) {
    GrowingChunk g = new GrowingChunk();
    growing.put(key, g);
    return g;
  }

  /** The load {@code g} of {@code key} ended, its future completed. */
  private void ended(ChunkKey key, GrowingChunk g) {
    growing.remove(key, g);
    g.ended();
  }

  /**
   * The chunk {@code key} while it is being loaded, to send its bytes as they land; null if no load
   * of it runs (it is cached, or nobody asked for it).
   */
  public @Nullable GrowingChunk growing(ChunkKey key) {
    return growing.get(key);
  }

  /** Whether the chunk is cached or being loaded, without waiting for a load. */
  public boolean cachedOrLoading(ChunkKey key) {
    return index.asMap().containsKey(key);
  }

  private static void copy(InputStream in, java.io.OutputStream out, long length)
      throws IOException {
    byte[] buf = new byte[64 * 1024];
    long left = length;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new java.io.EOFException("the run ended " + left + " bytes short of a chunk");
      }
      out.write(buf, 0, n);
      left -= n;
    }
  }

  /** The chunk if it is cached and loaded, without loading it. */
  public @Nullable ChunkFile getIfPresent(ChunkKey key) {
    return index.synchronous().getIfPresent(key);
  }

  /** Caches a chunk copied from a file on this disk, unless the chunk is cached already. */
  public void put(ChunkKey key, FileChannel source, long offset, long length) throws IOException {
    if (index.getIfPresent(key) != null) {
      return;
    }
    keep(key, store.copy(key, source, offset, length));
  }

  /**
   * Caches {@code file}, which holds exactly the {@code length} bytes of chunk {@code key} with
   * checksum {@code crc}, by moving it into the cache rather than copying it (a write's staged body
   * of one chunk, once the origin holds it). The file is the cache's afterwards, unless the chunk
   * was cached already (true, and the file is left to its owner). False if it cannot be moved into
   * the cache (another file system): the file still starts with the bytes, and the caller may copy
   * them ({@link #put}).
   */
  public boolean adopt(ChunkKey key, Path file, long length, int crc) throws IOException {
    if (index.getIfPresent(key) != null) {
      return true;
    }
    ChunkFile chunk = store.adopt(key, file, length, crc);
    if (chunk == null) {
      return false;
    }
    keep(key, chunk);
    return true;
  }

  /** A chunk written whole on disk joins the index, unless another load got there first. */
  private void keep(ChunkKey key, ChunkFile chunk) {
    if (index.asMap().putIfAbsent(key, CompletableFuture.completedFuture(chunk)) != null) {
      store.delete(chunk);
    }
  }

  /**
   * The chunk's bytes if the memory tier holds them, lent to the caller ({@link HeldBytes}), or
   * null.
   */
  public @Nullable HeldBytes inMemory(ChunkKey key) {
    return memory.get(key);
  }

  /**
   * The chunk was opened on disk to be read ({@code file}, from {@link ChunkFile#open}): the memory
   * tier copies it in if it is read often enough, and the bytes it then holds are returned (the
   * caller's own, as {@link #inMemory}), else null. {@code file} stays open, at any position.
   */
  public @Nullable HeldBytes offerToMemory(ChunkFile chunk, FileChannel file) throws IOException {
    HeldBytes held = memory.offer(chunk.key(), file, chunk.length());
    if (held != null && !stillCached(chunk)) {
      memory.invalidate(chunk.key()); // its removal may have come before memory kept it
    }
    return held;
  }

  /**
   * Whether {@code chunk} is still the index's, without counting as a read: one dropped (or loaded
   * again) may have left while a read kept it somewhere (memory, the open files).
   */
  private boolean stillCached(ChunkFile chunk) {
    return index.synchronous().policy().getIfPresentQuietly(chunk.key()) == chunk;
  }

  /**
   * The chunk's file, open for reading and lent to the caller, who gives it back ({@link
   * HeldFile#release}): kept open across reads ({@link OpenChunks}), so a hot chunk on disk costs
   * one read, not an open and a close as well.
   *
   * @throws java.nio.file.NoSuchFileException if the chunk was evicted meanwhile
   * @throws CorruptChunkException if its bytes do not match their checksum (first read only)
   */
  public HeldFile openFile(ChunkFile chunk) throws IOException {
    HeldFile file = openFiles.lend(chunk);
    if (!stillCached(chunk)) {
      openFiles.invalidate(chunk.path()); // its removal may have come before the pool kept it
    }
    return file;
  }

  /** Files opened for reads so far; the other reads found theirs kept open. */
  public long filesOpened() {
    return openFiles.opened();
  }

  /** Bytes of chunks the memory tier holds now. */
  public long memorySize() {
    return memory.weightedSize();
  }

  /** Drops a chunk, such as one found corrupt or gone from disk. */
  public void invalidate(ChunkKey key) {
    index.synchronous().invalidate(key);
  }

  /** The keys of the chunks now cached (a snapshot, for tests and the admin API). */
  public java.util.Set<ChunkKey> keys() {
    return java.util.Set.copyOf(index.synchronous().asMap().keySet());
  }

  /** Bytes of chunks now in the cache. */
  public long weightedSize() {
    return index.synchronous().policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }

  /** Number of chunks now in the cache. */
  public long size() {
    return index.synchronous().estimatedSize();
  }

  public CacheStats stats() {
    return index.synchronous().stats();
  }

  /**
   * Registers the cache's meters: {@code leasehold_cache_requests_total{result}} (chunks read, hit
   * or miss), {@code leasehold_cache_bytes_total{source}} (bytes delivered to reads from the cache
   * or loaded from the origin; see {@link #delivered}), {@code leasehold_cache_evictions_total},
   * {@code leasehold_cache_size_bytes}, {@code leasehold_cache_chunks}, {@code
   * leasehold_cache_budget_bytes}, and the memory tier's {@code leasehold_cache_memory_size_bytes},
   * {@code leasehold_cache_memory_budget_bytes} and {@code leasehold_cache_memory_hits_total}.
   */
  public void bindMetrics(MeterRegistry registry) {
    FunctionCounter.builder("leasehold.cache.requests", hits, LongAdder::doubleValue)
        .description("Chunks read: served from the cache (hit) or loaded from the origin (miss)")
        .tag("result", "hit")
        .register(registry);
    FunctionCounter.builder("leasehold.cache.requests", misses, LongAdder::doubleValue)
        .description("Chunks read: served from the cache (hit) or loaded from the origin (miss)")
        .tag("result", "miss")
        .register(registry);
    FunctionCounter.builder("leasehold.cache.bytes", fromCache, LongAdder::doubleValue)
        .description("Chunk bytes delivered to reads, by where they came from")
        .baseUnit("bytes")
        .tag("source", "cache")
        .register(registry);
    FunctionCounter.builder("leasehold.cache.bytes", fromOrigin, LongAdder::doubleValue)
        .description("Chunk bytes delivered to reads, by where they came from")
        .baseUnit("bytes")
        .tag("source", "origin")
        .register(registry);
    FunctionCounter.builder("leasehold.cache.evictions", this, c -> c.stats().evictionCount())
        .description("Chunks evicted to keep the cache within its budget")
        .register(registry);
    Gauge.builder("leasehold.cache.size", this, ChunkCache::weightedSize)
        .description("Bytes of chunks in the cache")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("leasehold.cache.chunks", this, ChunkCache::size)
        .description("Chunks in the cache")
        .register(registry);
    Gauge.builder("leasehold.cache.budget", this, ChunkCache::budget)
        .description("Most bytes the cache keeps")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("leasehold.cache.memory.size", memory, MemoryTier::weightedSize)
        .description("Bytes of chunks the memory tier holds")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("leasehold.cache.memory.budget", memory, MemoryTier::budget)
        .description("Most bytes the memory tier holds")
        .baseUnit("bytes")
        .register(registry);
    FunctionCounter.builder("leasehold.cache.memory.hits", memory, MemoryTier::hits)
        .description("Chunk reads answered from the memory tier")
        .register(registry);
  }

  /**
   * A read delivered {@code bytes} of one chunk, which it found cached or (with {@code loaded}) had
   * to load from the origin. Counted per chunk read, not per lookup.
   */
  public void delivered(long bytes, boolean loaded) {
    (loaded ? misses : hits).increment();
    (loaded ? fromOrigin : fromCache).add(bytes);
  }

  /** Chunks reads found in the cache. */
  public long chunkHits() {
    return hits.sum();
  }

  /** Chunks reads had to load from the origin. */
  public long chunkMisses() {
    return misses.sum();
  }

  /** Chunk bytes delivered from the cache: egress the origin did not have to serve. */
  public long bytesFromCache() {
    return fromCache.sum();
  }

  /**
   * Pins a prefix: its chunks, those cached now and those loaded later, are never evicted. They do
   * not count against the budget, so the cache may hold the budget plus what is pinned. Survives
   * restarts.
   */
  public void pin(String bucket, String prefix) {
    pins.add(new Pins.Pin(bucket, prefix));
    reweigh(bucket, prefix);
  }

  /** Unpins a prefix: its chunks count against the budget again; whether it was pinned. */
  public boolean unpin(String bucket, String prefix) {
    boolean was = pins.remove(new Pins.Pin(bucket, prefix));
    reweigh(bucket, prefix);
    index.synchronous().cleanUp();
    return was;
  }

  /** The pinned prefixes, as (bucket, prefix) pairs. */
  public List<Map.Entry<String, String>> pins() {
    return pins.all().stream().map(p -> Map.entry(p.bucket(), p.prefix())).toList();
  }

  /** Bytes of cached chunks that are pinned. */
  public long pinnedBytes() {
    long n = 0;
    for (Map.Entry<ChunkKey, ChunkFile> e : index.synchronous().asMap().entrySet()) {
      if (pins.covers(e.getKey())) {
        n += e.getValue().length();
      }
    }
    return n;
  }

  /** Puts the entries under a prefix back, so that their weight is computed again. */
  private void reweigh(String bucket, String prefix) {
    for (ChunkKey k : index.synchronous().asMap().keySet()) {
      if (k.bucket().equals(bucket) && k.key().startsWith(prefix)) {
        index.synchronous().asMap().computeIfPresent(k, (key, chunk) -> chunk);
      }
    }
  }

  /** Applies pending evictions now (they otherwise run soon after the write that caused them). */
  public void cleanUp() {
    index.synchronous().cleanUp();
    memory.cleanUp();
    openFiles.cleanUp();
  }

  /**
   * Every entry leaves by eviction or invalidation: its file goes with it, and its bytes from the
   * memory tier. (An entry is never replaced by another file; a re-weighing after a pin keeps the
   * same one.)
   */
  private void removed(@Nullable ChunkKey key, @Nullable ChunkFile chunk, RemovalCause cause) {
    if (cause == RemovalCause.REPLACED) {
      return;
    }
    if (key != null) {
      memory.invalidate(key);
    }
    if (chunk != null) {
      openFiles.invalidate(chunk.path()); // closed once the reads holding it end
      store.delete(chunk);
    }
  }
}
