package dev.leasehold.site;

import dev.leasehold.cache.ChunkCache;
import dev.leasehold.cache.ChunkKey;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.origin.Origin;
import dev.leasehold.origin.Peek;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cold reads' questions to the origin, asked while the coordinator is asked for READ
 * (docs/protocol.md, Reads): a GET of the chunks a read starts with, which go into the cache under
 * the ETag the answer's headers name, as any chunk loaded from the origin does; or a HEAD, for a
 * read of no bytes (or of a part, or of the object's last bytes, whose chunks are not known before
 * its size is). Reads of the same start of the same object while one is asked share it, so a crowd
 * of cold readers sends the origin one question.
 *
 * <p>An answer is never a reason to serve a version: only the grant is. It stands in for the HEAD
 * that confirms a version the coordinator names (the origin check): when its ETag is the grant's,
 * the read asks the origin nothing more, and its chunks are the ones the read sends.
 *
 * <p>Thread-safe: each question runs on a virtual thread and hands its answer over in a future;
 * {@link #asked} holds the questions in flight, each removed by its own thread once answered.
 */
final class OriginPeeks {
  private static final Logger LOG = LoggerFactory.getLogger(OriginPeeks.class);

  /** What the origin held when it answered; {@code version} null: no such object. */
  record Answer(@Nullable ObjectInfo version) {}

  /** A question asked: its answer, when it comes. */
  static final class Asked {
    private final CompletableFuture<@Nullable Answer> answer;

    private Asked(CompletableFuture<@Nullable Answer> answer) {
      this.answer = answer;
    }

    /** Waits for the origin's answer; null if it gave none that says which version it holds. */
    @Nullable Answer answer() {
      try {
        return answer.get();
      } catch (ExecutionException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  private record Question(String bucket, String key, long firstChunk, boolean bytes) {}

  private final Origin origin;
  private final ChunkCache cache;
  private final Map<Question, CompletableFuture<@Nullable Answer>> asked =
      new ConcurrentHashMap<>();

  OriginPeeks(Origin origin, ChunkCache cache) {
    this.origin = origin;
    this.cache = cache;
  }

  /** Asks the origin about the object {@code request} reads (or joins the same question). */
  Asked ask(GetRequest request, boolean body) {
    ByteRange range = request.range();
    boolean bytes = body && request.partNumber() == null && (range == null || range.first() >= 0);
    long first = bytes && range != null ? range.first() / cache.chunkSize() : 0;
    Question q = new Question(request.bucket(), request.key(), first, bytes);
    CompletableFuture<@Nullable Answer> mine = new CompletableFuture<>();
    CompletableFuture<@Nullable Answer> prior = asked.putIfAbsent(q, mine);
    if (prior != null) {
      return new Asked(prior);
    }
    Thread.ofVirtual()
        .name("origin-peek")
        .start(
            Context.current()
                .wrap(() -> {
                  try {
                    mine.complete(bytes ? getStart(q, range) : head(q));
                  } catch (RuntimeException e) {
                    LOG.debug("the origin gave no answer beside the grant", e);
                    mine.complete(null);
                  } finally {
                    asked.remove(q, mine);
                  }
                }));
    return new Asked(mine);
  }

  private Answer head(Question q) {
    return new Answer(origin.headInBucket(q.bucket(), q.key()));
  }

  /**
   * The chunks the read's first run would fetch ({@link ChunkReader}): from the one holding its
   * first byte, up to {@link ChunkReader#READ_AHEAD} more, within the range asked for.
   */
  private @Nullable Answer getStart(Question q, @Nullable ByteRange range) {
    long chunkSize = cache.chunkSize();
    long last = q.firstChunk() + ChunkReader.READ_AHEAD;
    if (range != null && range.last() >= 0) {
      last = Math.min(last, range.last() / chunkSize);
    }
    Peek peek =
        origin.peek(
            q.bucket(),
            q.key(),
            q.firstChunk() * chunkSize,
            (last - q.firstChunk() + 1) * chunkSize);
    if (peek == null) {
      return null;
    }
    ObjectInfo version = peek.version();
    if (version == null || peek.length() == 0) {
      close(peek);
      return new Answer(version);
    }
    List<ChunkKey> keys = new ArrayList<>();
    long[] lengths = new long[(int) ((peek.length() + chunkSize - 1) / chunkSize)];
    long end = peek.offset() + peek.length();
    for (int i = 0; i < lengths.length; i++) {
      long at = peek.offset() + i * chunkSize;
      keys.add(new ChunkKey(q.bucket(), q.key(), version.etag(), q.firstChunk() + i));
      lengths[i] = Math.min(chunkSize, end - at);
    }
    List<ChunkCache.Loading> run = cache.getRun(keys, lengths, peek::body);
    if (run.stream().noneMatch(ChunkCache.Loading::byThisRun)) {
      close(peek); // every chunk was cached or loading already: the run reads nothing
    }
    return new Answer(version);
  }

  private static void close(Peek peek) {
    try {
      peek.body().close();
    } catch (IOException e) {
      LOG.debug("closing a peek's body", e);
    }
  }
}
