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
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a span of one version of an object from the chunk cache, loading missing chunks from the
 * origin (only the chunks the span touches; each load asks the origin for exactly that version, so
 * bytes of another version never enter the cache under this one's key). While one chunk is sent,
 * the next is already being fetched.
 *
 * <p>Confined to the request's thread, but for {@code loaded}, which chunk loads (on loader
 * threads) add to under the reader's lock.
 */
final class ChunkReader implements SpanSource {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkReader.class);
  private static final int ATTEMPTS = 3;

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

  ChunkReader(ChunkCache cache, Origin origin, String bucket, ObjectInfo version) {
    this.cache = cache;
    this.origin = origin;
    this.bucket = bucket;
    this.version = version;
    this.chunkSize = cache.chunkSize();
  }

  /** Starts loading the chunk holding byte {@code offset} and waits for it. */
  void prepare(long offset) {
    if (offset < version.size()) {
      join(fetch(offset / chunkSize));
    }
  }

  @Override
  public void send(Span span, BodySink sink) throws IOException {
    if (span.length() == 0) {
      return;
    }
    long first = span.offset() / chunkSize;
    long last = (span.end() - 1) / chunkSize;
    for (long index = first; index <= last; index++) {
      CompletableFuture<ChunkFile> current = fetch(index);
      if (index < last) {
        fetch(index + 1); // read-ahead: the next chunk loads while this one is sent
      }
      long chunkStart = index * chunkSize;
      long from = Math.max(span.offset(), chunkStart) - chunkStart;
      long to = Math.min(span.end(), chunkStart + chunkLength(index)) - chunkStart;
      FileChannel chunk = open(index, current);
      cache.delivered(to - from, wasLoaded(index));
      sink.send(chunk, from, to - from);
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
