package dev.leasehold.coordinator;

import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Recall;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recall streams sites keep open to the leader, one per session: {@link #recall} pushes a
 * recall down a session's stream, if it has one. A session without a stream (a site cut off from
 * the coordinator) cannot be reached; its leases are waited out to its session's expiry.
 *
 * <p>Thread-safe: streams are registered and written from request threads; each stream's writes are
 * serialized by its own lock (gRPC observers are not thread-safe).
 */
final class RecallHub {
  private static final Logger LOG = LoggerFactory.getLogger(RecallHub.class);

  private static final class Stream {
    final StreamObserver<Recall> observer;
    final ReentrantLock lock = new ReentrantLock();

    Stream(StreamObserver<Recall> observer) {
      this.observer = observer;
    }
  }

  private final Map<Long, Stream> streams = new ConcurrentHashMap<>();

  void attach(long session, StreamObserver<Recall> observer) {
    Stream previous = streams.put(session, new Stream(observer));
    if (previous != null) {
      end(previous, null);
    }
  }

  void detach(long session, StreamObserver<Recall> observer) {
    streams.computeIfPresent(session, (k, s) -> s.observer.equals(observer) ? null : s);
  }

  /**
   * Asks {@code session} to give up its {@code mode} lease on {@code element}: for READ, the grant
   * numbered {@code grant}, which its release names.
   */
  void recall(long session, Element element, Mode mode, long grant) {
    send(session, Recall.newBuilder().setElement(element).setMode(mode).setGrant(grant).build());
  }

  /** Recalls the prefix WRITE lease {@code session} holds on {@code bucket/prefix}. */
  void recallPrefix(long session, String bucket, String prefix) {
    send(
        session,
        Recall.newBuilder()
            .setElement(Element.newBuilder().setBucket(bucket))
            .setMode(Mode.WRITE)
            .setPrefix(prefix)
            .build());
  }

  private void send(long session, Recall recall) {
    Stream s = streams.get(session);
    if (s == null) {
      return;
    }
    s.lock.lock();
    try {
      s.observer.onNext(recall);
    } catch (RuntimeException e) {
      LOG.debug("recall stream of session {} failed", session, e);
      streams.remove(session, s);
    } finally {
      s.lock.unlock();
    }
  }

  /** Ends every stream (leadership lost): sites reconnect to the new leader. */
  void closeAll(String why) {
    for (Long session : java.util.List.copyOf(streams.keySet())) {
      Stream s = streams.remove(session);
      if (s != null) {
        end(s, why);
      }
    }
  }

  private static void end(Stream s, @org.jspecify.annotations.Nullable String why) {
    s.lock.lock();
    try {
      if (why == null) {
        s.observer.onCompleted();
      } else {
        s.observer.onError(Status.UNAVAILABLE.withDescription(why).asRuntimeException());
      }
    } catch (RuntimeException ignored) {
      // already gone
    } finally {
      s.lock.unlock();
    }
  }
}
