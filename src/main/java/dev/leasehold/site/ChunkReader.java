package dev.leasehold.site;

import dev.leasehold.cache.ChunkCache;
import dev.leasehold.cache.ChunkFile;
import dev.leasehold.cache.ChunkKey;
import dev.leasehold.cache.CorruptChunkException;
import dev.leasehold.cache.GrowingChunk;
import dev.leasehold.cache.HeldBytes;
import dev.leasehold.cache.HeldFile;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.error.WouldWait;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.origin.Origin;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
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

  /** The most bytes of a chunk being loaded that wait to be sent together. */
  private static final long PIECE = 256 << 10;

  /**
   * How long a read waits for bytes of a chunk being loaded before it looks again (a load that
   * stalls ends by the origin's timeouts, failing its future).
   */
  private static final Duration FIRST_BYTES = Duration.ofSeconds(30);

  private final ChunkCache cache;
  private final Origin origin;
  private final boolean byVersion;
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
    this(cache, origin, bucket, version, false);
  }

  /**
   * @param byVersion whether misses are read from the origin by {@code version}'s version id (a
   *     read of a named version) rather than as the key's current version
   */
  ChunkReader(
      ChunkCache cache, Origin origin, String bucket, ObjectInfo version, boolean byVersion) {
    this.cache = cache;
    this.origin = origin;
    this.bucket = bucket;
    this.version = version;
    this.byVersion = byVersion;
    this.chunkSize = cache.chunkSize();
  }

  /**
   * Starts loading the chunks at the start of {@code span} (those missing: one origin read for a
   * run of them) and waits for the first's first bytes: the origin answered with them, so what a
   * client should see as an error (the object changed, the origin is down) is known before any
   * header is sent, and the bytes go out as they arrive, not once the whole chunk is in.
   */
  void prepare(ByteSpan span) {
    if (span.length() == 0 || span.offset() >= version.size()) {
      return;
    }
    long first = span.offset() / chunkSize;
    plannedUpTo = first;
    plan(first + READ_AHEAD, (span.end() - 1) / chunkSize);
    CompletableFuture<ChunkFile> loading = chunk(first);
    planned().put(first, loading); // sent from the same load
    GrowingChunk growing = loading.isDone() ? null : cache.growing(key(first));
    long firstByte = span.offset() - first * chunkSize;
    if (growing == null || !arrived(growing, firstByte + 1)) {
      join(loading); // whole, failed, or not followed: as the chunk ends
    }
  }

  /** Whether {@code bytes} of a growing chunk are in (false if its load ended first). */
  private static boolean arrived(GrowingChunk growing, long bytes) {
    try {
      GrowingChunk.Progress p = growing.await(bytes, FIRST_BYTES);
      return !p.ended() && p.written() >= bytes;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw S3Error.SERVICE_UNAVAILABLE.exception("The read was interrupted.");
    }
  }

  private Map<Long, CompletableFuture<ChunkFile>> planned() {
    if (runs == null) {
      runs = new HashMap<>();
    }
    return runs;
  }

  @Override
  public void send(ByteSpan span, BodySink sink) throws IOException {
    if (span.length() == 0) {
      return;
    }
    if (WouldWait.refused()) {
      sendNow(span, sink);
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
      cache.delivered(to - from, wasLoaded(index));
      if (sendHeld(key(index), from, to, sink)) {
        continue;
      }
      GrowingChunk growing = current.isDone() ? null : cache.growing(key(index));
      if (growing != null) {
        from = sendGrowing(growing, current, from, to, sink);
      }
      if (from < to) {
        Opened opened = open(index, current);
        sendOpened(opened.chunk(), opened.file(), from, to, sink);
      }
    }
  }

  /**
   * On a thread that may not wait (a hit on the event loop): the span, if it lies in one chunk
   * whose bytes are at hand (in memory, or in a cached file checked already), in one piece; else
   * {@link WouldWait}, with nothing sent.
   */
  private void sendNow(ByteSpan span, BodySink sink) throws IOException {
    long index = span.offset() / chunkSize;
    if ((span.end() - 1) / chunkSize != index) {
      throw WouldWait.now(); // more than one piece: the response would wait for its own writes
    }
    long from = span.offset() - index * chunkSize;
    long to = span.end() - index * chunkSize;
    ChunkKey key = key(index);
    if (sendHeld(key, from, to, sink)) {
      cache.delivered(to - from, false);
      return;
    }
    ChunkFile chunk = cache.getIfPresent(key);
    if (chunk == null || !chunk.verified()) {
      throw WouldWait.now(); // to load, or to check against its checksum first
    }
    HeldFile file;
    try {
      file = cache.openFile(chunk);
    } catch (NoSuchFileException evicted) {
      throw WouldWait.now();
    }
    sendOpened(chunk, file, from, to, sink);
    cache.delivered(to - from, false); // once sent: a hand-over before would count it twice
  }

  /**
   * Sends bytes {@code from}..{@code to} of a chunk the memory tier holds; false if it holds none.
   */
  private boolean sendHeld(ChunkKey key, long from, long to, BodySink sink) throws IOException {
    HeldBytes held = cache.inMemory(key);
    if (held == null) {
      return false;
    }
    if (sink.send(held.range(from, to))) {
      return true;
    }
    held.release();
    return false;
  }

  /**
   * Sends bytes {@code from}..{@code to} of an opened chunk file (the sink owns the hold on {@code
   * file}), from memory instead if the memory tier takes the chunk in now.
   */
  private void sendOpened(ChunkFile chunk, HeldFile file, long from, long to, BodySink sink)
      throws IOException {
    HeldBytes held;
    try {
      held = cache.offerToMemory(chunk, file.channel());
    } catch (IOException | RuntimeException e) {
      file.release();
      throw e;
    }
    if (held != null) {
      boolean sent;
      try {
        sent = sink.send(held.range(from, to));
      } catch (IOException | RuntimeException e) {
        file.release();
        throw e;
      }
      if (sent) {
        file.release();
        return;
      }
      held.release();
    }
    sink.send(file, from, to - from);
  }

  /**
   * Sends bytes {@code from}..{@code to} of a chunk being loaded as they land, in pieces of {@link
   * #PIECE} or what is left; returns how far it got: to {@code to}, or to where the load ended
   * (whole or failed: the rest comes from its future).
   */
  private static long sendGrowing(
      GrowingChunk growing, CompletableFuture<ChunkFile> loading, long from, long to, BodySink sink)
      throws IOException {
    long at = from;
    while (at < to && !loading.isDone()) {
      GrowingChunk.Progress p;
      try {
        // The first piece goes as soon as there is one (its headers leave with it); later
        // ones wait for a piece's worth, so a fast origin makes few large sends.
        p = growing.await(at == from ? at + 1 : Math.min(to, at + PIECE), FIRST_BYTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while a chunk loads");
      }
      Path part = p.part();
      long upTo = Math.min(p.written(), to);
      if (p.ended() || part == null) {
        break;
      }
      if (upTo <= at) {
        continue; // nothing more yet: the load ends by the origin's own timeouts if it stalls
      }
      FileChannel bytes;
      try {
        bytes = FileChannel.open(part, StandardOpenOption.READ);
      } catch (NoSuchFileException whole) {
        break; // renamed into the cache (or failed) meanwhile: its future has it
      }
      sink.send(bytes, at, upTo - at);
      at = upTo;
    }
    return at;
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
      // Not waiting for a chunk another read loads (it is sent from that load as it lands).
      while (stop <= last && stop - start < RUN && !cache.cachedOrLoading(key(stop))) {
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
                  return open(offset, length);
                }
              });
      Map<Long, CompletableFuture<ChunkFile>> byIndex = planned();
      for (int i = 0; i < run.size(); i++) {
        byIndex.put(start + i, run.get(i).future());
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
              InputStream in = open(offset, length)) {
            in.transferTo(out);
          }
        });
  }

  /** A chunk, and its file opened for reading. */
  private record Opened(ChunkFile chunk, HeldFile file) {}

  /** Opens a cached chunk, loading it again if it was evicted or found corrupt meanwhile. */
  private Opened open(long index, CompletableFuture<ChunkFile> loading) throws IOException {
    CompletableFuture<ChunkFile> future = loading;
    for (int attempt = 1; ; attempt++) {
      ChunkFile chunk = join(future);
      try {
        return new Opened(chunk, cache.openFile(chunk));
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

  /** The version's bytes from {@code offset} at the origin. */
  private InputStream open(long offset, long length) {
    if (!byVersion) {
      return origin.read(bucket, version.key(), version.etag(), offset, length);
    }
    String id = version.versionId();
    return origin.readVersion(
        bucket, version.key(), id == null ? "null" : id, version.etag(), offset, length);
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
