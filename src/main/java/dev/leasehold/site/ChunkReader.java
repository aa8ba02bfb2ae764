package dev.leasehold.site;

import dev.leasehold.cache.ChunkCache;
import dev.leasehold.cache.ChunkFile;
import dev.leasehold.cache.ChunkKey;
import dev.leasehold.cache.CorruptChunkException;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.origin.Origin;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a span of one version of an object from the chunk cache, loading missing chunks from the
 * origin (only the chunks the span touches; each load asks the origin for exactly that version, so
 * bytes of another version never enter the cache under this one's key). Missing chunks are read
 * from the origin in runs ({@link ChunkCache#getRun}: one request streams up to {@link #RUN} of
 * them, each sent to the client as soon as it is cached), and while one chunk is sent the next
 * {@link #READ_AHEAD} of the span are already on their way.
 *
 * <p>Confined to the request's thread, but for {@code loaded}, which chunk loads (on loader
 * threads) add to under the reader's lock.
 */
final class ChunkReader implements SpanSource {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkReader.class);
  private static final int ATTEMPTS = 3;

  /**
   * How many chunks past the one being sent are planned: the next run starts this far before the
   * current one ends, so the origin's stream never waits for the reader.
   */
  static final int READ_AHEAD = 4;

  /** The most chunks one origin read loads (a run streams them in, each cached as it lands). */
  static final int RUN = 16;

  private final ChunkCache cache;
  private final Origin origin;
  private final String bucket;
  private final ObjectInfo version;
  private final long chunkSize;

  /**
   * The chunks this read loaded from the origin (the others it found cached); made on the first
   * load, so a read served from the cache allocates nothing for it. Guarded by {@code this}.
   */
  private @Nullable Set<Long> loaded;

  /**
   * Futures of planned chunks not yet sent, by index; made by the first run, so a read served from
   * the cache allocates nothing for it. Confined to the request's thread.
   */
  private @Nullable Map<Long, CompletableFuture<ChunkFile>> runs;

  /** The first chunk index not yet planned. Confined to the request's thread. */
  private long plannedUpTo;

  ChunkReader(ChunkCache cache, Origin origin, String bucket, ObjectInfo version) {
    this.cache = cache;
    this.origin = origin;
    this.bucket = bucket;
    this.version = version;
    this.chunkSize = cache.chunkSize();
  }

  /**
   * Starts loading the chunks at the start of {@code span} (those missing: one origin read for a
   * run of them) and waits for the first.
   */
  void prepare(ByteSpan span) {
    if (span.length() == 0 || span.offset() >= version.size()) {
      return;
    }
    long first = span.offset() / chunkSize;
    plannedUpTo = first;
    plan(first + READ_AHEAD, (span.end() - 1) / chunkSize);
    join(chunk(first));
  }

  @Override
  public void send(ByteSpan span, BodySink sink) throws IOException {
    if (span.length() == 0) {
      return;
    }
    long first = span.offset() / chunkSize;
    long last = (span.end() - 1) / chunkSize;
    if (plannedUpTo < first) {
      plannedUpTo = first;
    }
    for (long index = first; index <= last; index++) {
      // Read-ahead within the span: the next chunks load while this one is sent.
      plan(index + READ_AHEAD, last);
      CompletableFuture<ChunkFile> current = chunk(index);
      long chunkStart = index * chunkSize;
      long from = Math.max(span.offset(), chunkStart) - chunkStart;
      long to = Math.min(span.end(), chunkStart + chunkLength(index)) - chunkStart;
      FileChannel chunk = open(index, current);
      cache.delivered(to - from, wasLoaded(index));
      sink.send(chunk, from, to - from);
    }
  }

  /** The chunk {@code index}: from the run planned for it, or looked up (and loaded) alone. */
  private CompletableFuture<ChunkFile> chunk(long index) {
    CompletableFuture<ChunkFile> planned = runs == null ? null : runs.remove(index);
    if (planned == null) {
      return fetch(index);
    }
    // A run that broke (the origin's stream failed) leaves its chunk to a load of its own.
    return planned.exceptionallyCompose(e -> fetch(index));
  }

  /**
   * Plans loads up to chunk {@code upTo} (at most {@code last}): a run of up to {@link #RUN}
   * consecutive chunks missing from the cache is read from the origin in one request.
   */
  private void plan(long upTo, long last) {
    long end = Math.min(upTo, last);
    while (plannedUpTo <= end) {
      long start = plannedUpTo;
      long stop = start;
      while (stop <= last && stop - start < RUN && cache.getIfPresent(key(stop)) == null) {
        stop++;
      }
      if (stop == start) {
        plannedUpTo++; // cached: looked up when it is sent
        continue;
      }
      List<ChunkKey> keys = new ArrayList<>();
      long[] lengths = new long[(int) (stop - start)];
      long bytes = 0;
      for (long i = start; i < stop; i++) {
        keys.add(key(i));
        lengths[(int) (i - start)] = chunkLength(i);
        bytes += chunkLength(i);
      }
      long offset = start * chunkSize;
      long length = bytes;
      Context request = Context.current(); // the run loads on a loader thread, in this trace
      List<ChunkCache.Loading> run =
          cache.getRun(
              keys,
              lengths,
              () -> {
                try (Scope scope = request.makeCurrent()) {
                  return origin.read(bucket, version.key(), version.etag(), offset, length);
                }
              });
      if (runs == null) {
        runs = new HashMap<>();
      }
      for (int i = 0; i < run.size(); i++) {
        runs.put(start + i, run.get(i).future());
        if (run.get(i).byThisRun()) {
          markLoaded(start + i);
        }
      }
      plannedUpTo = stop;
    }
  }

  private CompletableFuture<ChunkFile> fetch(long index) {
    long offset = index * chunkSize;
    long length = chunkLength(index);
    Context request = Context.current(); // the load runs on a loader thread, in this trace
    return cache.get(
        key(index),
        length,
        out -> {
          markLoaded(index);
          try (Scope scope = request.makeCurrent();
              InputStream in = origin.read(bucket, version.key(), version.etag(), offset, length)) {
            in.transferTo(out);
          }
        });
  }

  /** Opens a cached chunk, loading it again if it was evicted or found corrupt meanwhile. */
  private FileChannel open(long index, CompletableFuture<ChunkFile> loading) throws IOException {
    CompletableFuture<ChunkFile> future = loading;
    for (int attempt = 1; ; attempt++) {
      ChunkFile chunk = join(future);
      try {
        return chunk.open();
      } catch (NoSuchFileException | CorruptChunkException e) {
        if (e instanceof CorruptChunkException) {
          LOG.warn("dropping corrupt chunk {}: {}", chunk, e.getMessage());
        }
        cache.invalidate(key(index));
        if (attempt >= ATTEMPTS) {
          throw e;
        }
        future = fetch(index);
      }
    }
  }

  /**
   * Chunks of this version that this read asked the origin for before it knew the version (its
   * question beside the grant, {@link OriginPeeks}): they count as this read's loads.
   */
  void loadedBeforehand(java.util.Collection<Long> indexes) {
    indexes.forEach(this::markLoaded);
  }

  private synchronized void markLoaded(long index) {
    if (loaded == null) {
      loaded = new HashSet<>();
    }
    loaded.add(index);
  }

  private synchronized boolean wasLoaded(long index) {
    return loaded != null && loaded.contains(index);
  }

  private ChunkKey key(long index) {
    return new ChunkKey(bucket, version.key(), version.etag(), index);
  }

  private long chunkLength(long index) {
    return Math.min(chunkSize, version.size() - index * chunkSize);
  }

  private static ChunkFile join(CompletableFuture<ChunkFile> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof S3Exception s3) {
        throw s3;
      }
      throw S3Error.SERVICE_UNAVAILABLE
          .exception("The object could not be read from the origin.")
          .causedBy(cause);
    }
  }
}
