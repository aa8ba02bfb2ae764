package dev.leasehold.telemetry;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import dev.leasehold.error.WouldWait;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A logback appender for many lines a second (the access log): each event is encoded on the logging
 * thread and queued; one writer thread writes what is queued to stderr, several lines per system
 * call. logback's {@code AsyncAppender} in front of a {@code ConsoleAppender} makes one {@code
 * write} per line, and at 20,000 requests a second that writer took 6.5 % of a site's CPU.
 *
 * <p>A write holds whole lines only and at most {@link #ATOMIC_WRITE} bytes, the size a pipe writes
 * without interleaving, so a line is never split by another writer's output on the same stderr (the
 * other loggers). A full queue makes the logging thread wait: no line is dropped. A thread that may
 * not wait (the S3 event loop, {@code WouldWait}) puts its line in an overflow instead, which the
 * writer drains after the queue. The overflow holds as many lines as the queue; past that, such a
 * thread's line is dropped and counted, and the writer says how many in a line of its own: an event
 * loop never waits for stderr, and a stderr that stopped never fills the heap.
 *
 * <p>Thread-safety: the queue, the overflow and its two counters are what the logging threads and
 * the writer share (each thread-safe on its own); the writer thread owns the output stream and its
 * batch. Lines still queued at {@link #stop} are written before it returns (for at most a second).
 */
public final class BatchingStderrAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  /** PIPE_BUF on Linux: a pipe takes a write of up to this many bytes whole. */
  static final int ATOMIC_WRITE = 4096;

  /** How long the writer lets lines gather after a write: the most a line waits to be written. */
  static final long LINGER_MS = 20;

  private static final byte[] END = new byte[0];

  private @Nullable Encoder<ILoggingEvent> encoder;
  private int queueSize = 8192;
  private OutputStream out = new FileOutputStream(FileDescriptor.err);

  /** Made by {@link #start}; set once, before any event is appended. */
  private BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(1);

  private @Nullable Thread writer;

  /**
   * Lines from threads that may not wait, queued while the queue was full (only a writer that
   * cannot keep up with stderr fills it), at most {@code queueSize} of them ({@link
   * #overflowLines}). The writer drains it after the queue.
   */
  private final ConcurrentLinkedQueue<byte[]> overflow = new ConcurrentLinkedQueue<>();

  /** How many lines {@link #overflow} holds: taken before a line is added, given back after. */
  private final AtomicInteger overflowLines = new AtomicInteger();

  /** Lines dropped since the writer last said so: the overflow was full. */
  private final AtomicLong dropped = new AtomicLong();

  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  public void setQueueSize(int queueSize) {
    this.queueSize = queueSize;
  }

  /** Where the lines go instead of stderr (for tests). Before {@link #start} only. */
  void setOutputStream(OutputStream out) {
    this.out = out;
  }

  @Override
  public void start() {
    if (encoder == null) {
      addError("no encoder for appender " + name);
      return;
    }
    queue = new ArrayBlockingQueue<>(queueSize);
    Thread t = new Thread(this::writeLoop, "log-writer-" + name);
    t.setDaemon(true);
    t.start();
    writer = t;
    super.start();
  }

  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop();
    Thread t = writer;
    if (t == null) {
      return;
    }
    try {
      if (queue.offer(END, 1, TimeUnit.SECONDS)) {
        LockSupport.unpark(t); // no need to wait out the linger
        t.join(1000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    t.interrupt();
  }

  @Override
  protected void append(ILoggingEvent event) {
    Encoder<ILoggingEvent> e = encoder;
    if (e == null) {
      return; // not started: start() refused to
    }
    byte[] line = e.encode(event);
    if (queue.offer(line)) {
      return;
    }
    if (WouldWait.refused()) {
      // A thread that may not wait (the S3 event loop, answering a hit) does not wait for the
      // writer: the line goes to the overflow, written after the queue's; past its bound, the
      // line is dropped and counted.
      if (overflowLines.incrementAndGet() > queueSize) {
        overflowLines.decrementAndGet();
        dropped.incrementAndGet();
        return;
      }
      overflow.add(line);
      return;
    }
    try {
      queue.put(line);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      addWarn("interrupted while queueing a log line; the line is lost");
    }
  }

  private void writeLoop() {
    List<byte[]> lines = new ArrayList<>();
    byte[] batch = new byte[ATOMIC_WRITE];
    try {
      while (true) {
        lines.add(queue.take());
        queue.drainTo(lines);
        for (byte[] late = overflow.poll(); late != null; late = overflow.poll()) {
          overflowLines.decrementAndGet();
          lines.add(late);
        }
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
          lines.add(droppedLine(lost));
        }
        boolean end = false;
        int used = 0;
        for (byte[] line : lines) {
          if (line == END) {
            end = true; // and the rest of this batch too: the overflow's lines come after it
            continue;
          }
          if (used + line.length > batch.length && used > 0) {
            write(batch, used);
            used = 0;
          }
          if (line.length > batch.length) {
            write(line, line.length); // a long line on its own
          } else {
            System.arraycopy(line, 0, batch, used, line.length);
            used += line.length;
          }
        }
        if (used > 0) {
          write(batch, used);
        }
        lines.clear();
        if (end) {
          return;
        }
        // Let lines gather: a writer that waits on an empty queue is woken by every line, and
        // that wake-up cost as much as the write it saved. stop() cuts this short (unpark).
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(LINGER_MS));
      }
    } catch (InterruptedException e) {
      // stopped without waiting for the rest
    }
  }

  /**
   * The writer's own line that says {@code lost} lines were dropped: a JSON object in a log of JSON
   * lines, text otherwise.
   */
  private byte[] droppedLine(long lost) {
    String message =
        lost
            + " lines dropped: stderr did not keep up, and the threads that logged them may not"
            + " wait";
    String text =
        encoder instanceof ch.qos.logback.classic.encoder.JsonEncoder
            ? "{\"level\":\"WARN\",\"loggerName\":\"log-writer-"
                + name
                + "\",\"formattedMessage\":\""
                + message
                + "\"}\n"
            : "log-writer-" + name + ": " + message + "\n";
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private void write(byte[] bytes, int length) {
    try {
      out.write(bytes, 0, length);
      out.flush();
    } catch (IOException e) {
      addError("cannot write log lines", e);
    }
  }
}
