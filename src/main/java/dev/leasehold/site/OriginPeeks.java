package dev.leasehold.site;

import dev.leasehold.cache.ChunkCache;
import dev.leasehold.cache.ChunkKey;
import dev.leasehold.lease.Leases;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.origin.Origin;
import dev.leasehold.origin.Peek;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
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
 * <p>The answer's bytes wait behind a gate until a reader of the question has its answer from the
 * coordinator ({@link Asked#proceed}): the origin's headers come back while the grant is taken, but
 * the chunks are not written on the same cores the grant needs, which on a busy site made a cold
 * read's headers wait for them (docs/design.md, How requests flow). The bytes already sent wait in
 * the socket's buffers, so once the gate opens they arrive at once.
 *
 * <p>Thread-safe: each question runs on a virtual thread and hands its answer over in a future;
 * {@link #asked} holds the questions in flight, each removed a moment after its chunks are in (so
 * that reads arriving meanwhile join it rather than ask again), on a timer's thread.
 */
final class OriginPeeks {
  private static final Logger LOG = LoggerFactory.getLogger(OriginPeeks.class);

  /**
   * What the origin held when it answered ({@code version} null: no such object), when that was
   * ({@link System#nanoTime}), the chunks (by index) the answer's bytes are loading into the cache
   * that no other read was loading, and the place in the coordinator's log this site had heard of
   * before the question was sent ({@link Leases#heard}).
   */
  record Answer(
      @Nullable ObjectInfo version, long at, Set<Long> loading, Leases.@Nullable Heard heard) {
    Answer(@Nullable ObjectInfo version) {
      this(version, System.nanoTime(), Set.of(), null);
    }

    Answer asked(Leases.Heard heard) {
      return new Answer(version, at, loading, heard);
    }
  }

  /**
   * A question asked: its answer, when it comes, and the gate its bytes wait behind until a reader
   * has its grant.
   */
  static final class Asked {
    private final InFlight question;
    private final boolean asker;

    private Asked(InFlight question, boolean asker) {
      this.question = question;
      this.asker = asker;
    }

    /**
     * Whether this read asked the question (the others joined it): the chunks it loads count as
     * this read's loads from the origin, once.
     */
    boolean asker() {
      return asker;
    }

    /**
     * The read has its answer from the coordinator (a grant, or a refusal): the answer's bytes may
     * flow now. Until then the origin's stream is left unread, so that the grant is not taken on
     * cores busy writing chunks.
     */
    void proceed() {
      question.gate().complete(null);
    }

    /** Waits for the origin's answer; null if it gave none that says which version it holds. */
    @Nullable Answer answer() {
      try {
        return question.answer().get();
      } catch (ExecutionException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  /**
   * A question in flight: its answer, and the gate its bytes wait behind, shared by its readers.
   */
  private record InFlight(
      CompletableFuture<@Nullable Answer> answer, CompletableFuture<Void> gate) {
    InFlight() {
      this(new CompletableFuture<>(), new CompletableFuture<>());
    }
  }

  private record Question(String bucket, String key, long firstChunk, boolean bytes) {}

  /** The longest a question is shared for after its chunks are in. */
  private static final Duration MOST_SHARED = Duration.ofSeconds(1);

  private final Origin origin;
  private final ChunkCache cache;
  private final Supplier<Leases.Heard> heard;
  private final Map<Question, InFlight> asked = new ConcurrentHashMap<>();

  /**
   * How long after its chunks are in a question may still be joined: its answer stands for a look
   * at the origin, so no longer than the origin check allows such a look to be trusted (with {@code
   * origin-check: 0s} every read asks its own question).
   */
  private final Duration shared;

  OriginPeeks(Origin origin, ChunkCache cache, Duration originCheck, Supplier<Leases.Heard> heard) {
    this.origin = origin;
    this.cache = cache;
    this.heard = heard;
    this.shared = originCheck.compareTo(MOST_SHARED) < 0 ? originCheck : MOST_SHARED;
  }

  /** Asks the origin about the object {@code request} reads (or joins the same question). */
  Asked ask(GetRequest request, boolean body) {
    ByteRange range = request.range();
    boolean bytes = body && request.partNumber() == null && (range == null || range.first() >= 0);
    long first = bytes && range != null ? range.first() / cache.chunkSize() : 0;
    Question q = new Question(request.bucket(), request.key(), first, bytes);
    InFlight mine = new InFlight();
    Leases.Heard seen = heard.get(); // before the question leaves
    boolean sharing = !shared.isZero();
    InFlight prior = sharing ? asked.putIfAbsent(q, mine) : null;
    if (prior != null) {
      return new Asked(prior, false);
    }
    Thread.ofVirtual()
        .name("origin-peek")
        .start(
            Context.current()
                .wrap(() -> {
                  CompletableFuture<?> loaded = CompletableFuture.completedFuture(null);
                  try {
                    Loaded answered =
                        bytes ? getStart(q, range, mine.gate()) : new Loaded(head(q), loaded);
                    loaded = answered.run();
                    Answer answer = answered.answer();
                    mine.answer().complete(answer == null ? null : answer.asked(seen));
                  } catch (RuntimeException e) {
                    LOG.debug("the origin gave no answer beside the grant", e);
                    mine.answer().complete(null);
                  } finally {
                    // Joinable until a little after its chunks are in: a crowd of cold readers,
                    // arriving before the first of them holds its lease, asks once.
                    if (sharing) {
                      Executor later =
                          CompletableFuture.delayedExecutor(
                              shared.toMillis(), TimeUnit.MILLISECONDS);
                      loaded.whenComplete((x, e) -> later.execute(() -> asked.remove(q, mine)));
                    }
                  }
                }));
    return new Asked(mine, true);
  }

  /** An answer, and the load of its chunks (done when every one is in, or failed). */
  private record Loaded(@Nullable Answer answer, CompletableFuture<?> run) {}

  private Answer head(Question q) {
    return new Answer(origin.headInBucket(q.bucket(), q.key()));
  }

  /**
   * The chunks the read's first run would fetch ({@link ChunkReader}): from the one holding its
   * first byte, up to {@link ChunkReader#READ_AHEAD} more, within the range asked for.
   */
  private Loaded getStart(Question q, @Nullable ByteRange range, CompletableFuture<Void> gate) {
    CompletableFuture<?> none = CompletableFuture.completedFuture(null);
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
      return new Loaded(null, none);
    }
    ObjectInfo version = peek.version();
    if (version == null || peek.length() == 0) {
      close(peek);
      return new Loaded(new Answer(version), none);
    }
    List<ChunkKey> keys = new ArrayList<>();
    long[] lengths = new long[(int) ((peek.length() + chunkSize - 1) / chunkSize)];
    long end = peek.offset() + peek.length();
    for (int i = 0; i < lengths.length; i++) {
      long at = peek.offset() + i * chunkSize;
      keys.add(new ChunkKey(q.bucket(), q.key(), version.etag(), q.firstChunk() + i));
      lengths[i] = Math.min(chunkSize, end - at);
    }
    List<ChunkCache.Loading> run =
        cache.getRun(
            keys,
            lengths,
            () -> {
              awaitGate(gate);
              return peek.body();
            });
    Set<Long> loading = new HashSet<>();
    for (int i = 0; i < run.size(); i++) {
      if (run.get(i).byThisRun()) {
        loading.add(q.firstChunk() + i);
      }
    }
    if (loading.isEmpty()) {
      close(peek); // every chunk was cached or loading already: the run reads nothing
    }
    CompletableFuture<?> all =
        CompletableFuture.allOf(
            run.stream()
                .map(ChunkCache.Loading::future)
                .map(f -> f.exceptionally(e -> null))
                .toArray(CompletableFuture[]::new));
    return new Loaded(new Answer(version, System.nanoTime(), Set.copyOf(loading), null), all);
  }

  /**
   * The longest the bytes of an answer wait for a reader's grant; a reader opens the gate when the
   * coordinator answered it, so this bounds only a reader that never came back.
   */
  static final Duration GATE_WAIT = Duration.ofSeconds(10);

  private static void awaitGate(CompletableFuture<Void> gate) throws IOException {
    try {
      gate.get(GATE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.debug("no reader came back for an answer's bytes in {}: loading them", GATE_WAIT);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the gate is only ever completed normally", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for a grant");
    }
  }

  private static void close(Peek peek) {
    try {
      peek.body().close();
    } catch (IOException e) {
      LOG.debug("closing a peek's body", e);
    }
  }
}
