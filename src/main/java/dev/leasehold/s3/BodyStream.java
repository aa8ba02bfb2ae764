package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The body of one request, as a blocking stream for the request's virtual thread, fed by the
 * connection's event loop. Backpressure is by demand: the channel does not read on its own
 * (auto-read is off); the stream asks for one more read only when its reader has drained what
 * arrived, so at most one socket read's worth of body is ever buffered.
 *
 * <p>Threading: {@link #offer}, {@link #end} and {@link #fail} are called on the event loop; the
 * {@code read} methods on the request's thread; a lock guards the queue between them.
 */
final class BodyStream extends BlockInputStream {
  /** Called (on the reader's thread) when the reader needs more data: triggers a channel read. */
  interface Demand {
    void more();
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
  private final Demand demand;
  private final long timeoutNanos;
  private @Nullable Runnable beforeFirstRead;
  private boolean ended;
  private boolean closed;
  private boolean asked;
  private @Nullable S3Exception failure;
  private long received;

  BodyStream(Demand demand, Duration timeout) {
    this.demand = demand;
    this.timeoutNanos = timeout.toNanos();
  }

  /** Runs {@code action} on the reader's thread just before its first read. */
  void beforeFirstRead(Runnable action) {
    this.beforeFirstRead = action;
  }

  /** Event loop: one more piece of body (the stream takes ownership of {@code content}). */
  void offer(ByteBuf content) {
    lock.lock();
    try {
      asked = false;
      if (closed || failure != null) {
        content.release();
        return;
      }
      if (content.isReadable()) {
        received += content.readableBytes();
        queue.add(content);
      } else {
        content.release();
      }
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Event loop: the body is complete. */
  void end() {
    lock.lock();
    try {
      ended = true;
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Event loop: the body will not complete (connection closed, bad framing). */
  void fail(S3Exception cause) {
    lock.lock();
    try {
      if (!ended && failure == null) {
        failure = cause;
      }
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Event loop: whether the reader is waiting for data that has not come (a channel read can yield
   * no body bytes, only framing), so the channel must read again.
   */
  boolean hungry() {
    lock.lock();
    try {
      return asked && queue.isEmpty() && !ended && failure == null && !closed;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the whole body was received (so the connection can serve another request). */
  boolean complete() {
    lock.lock();
    try {
      return ended && failure == null;
    } finally {
      lock.unlock();
    }
  }

  long received() {
    lock.lock();
    try {
      return received;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    Runnable first = beforeFirstRead;
    if (first != null) {
      beforeFirstRead = null;
      first.run();
    }
    lock.lock();
    try {
      long deadline = System.nanoTime() + timeoutNanos;
      while (true) {
        if (closed) {
          throw new IOException("body stream closed");
        }
        ByteBuf head = queue.peek();
        if (head != null) {
          int n = Math.min(len, head.readableBytes());
          head.readBytes(buf, off, n);
          if (!head.isReadable()) {
            queue.poll().release();
          }
          return n;
        }
        if (failure != null) {
          throw failure;
        }
        if (ended) {
          return -1;
        }
        if (!asked) {
          asked = true;
          demand.more();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw S3Error.REQUEST_TIMEOUT.exception();
        }
        arrived.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading the body", e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public int available() {
    lock.lock();
    try {
      int n = 0;
      for (ByteBuf b : queue) {
        n += b.readableBytes();
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** Releases what is buffered; further reads fail. Any thread. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      ByteBuf b;
      while ((b = queue.poll()) != null) {
        b.release();
      }
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
