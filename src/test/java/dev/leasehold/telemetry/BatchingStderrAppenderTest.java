package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import dev.leasehold.error.WouldWait;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class BatchingStderrAppenderTest {
  /** Records each write apart, as the system calls the appender makes. */
  private static class Writes extends ByteArrayOutputStream {
    final List<String> writes = new ArrayList<>();

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      writes.add(new String(b, off, len, StandardCharsets.UTF_8));
    }
  }

  @Test
  void writesWholeLinesInWritesOfAtMostAPipesAtomicSizeAndAllOfThemByStop() {
    LoggerContext context = new LoggerContext();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.start();
    Writes out = new Writes();
    BatchingStderrAppender appender = new BatchingStderrAppender();
    appender.setContext(context);
    appender.setName("test");
    appender.setEncoder(encoder);
    appender.setQueueSize(
        256); // fewer than the lines: the logger waits for the writer, none is dropped
    appender.setOutputStream(out);
    appender.start();
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      String line = "line " + i + " " + "x".repeat(i % 300) + (i == 1_000 ? "y".repeat(9_000) : "");
      sent.add(line);
      appender.doAppend(event(context, line));
    }
    appender.stop();

    List<String> lines = new ArrayList<>();
    for (String w : out.writes) {
      assertThat(w).endsWith("\n"); // whole lines only
      if (w.length() > BatchingStderrAppender.ATOMIC_WRITE) {
        assertThat(w.split("\n", -1)).hasSize(2); // a longer line goes alone
      }
      for (String l : w.split("\n")) {
        lines.add(l);
      }
    }
    assertThat(lines).containsExactlyElementsOf(sent);
    assertThat(out.writes.size()).isLessThan(sent.size() / 4); // several lines per write
  }

  /**
   * A stderr that stopped (its reader went away): the event loop's lines neither wait for it nor
   * pile up without end. Each is written once stderr moves again, or counted in a line that says
   * how many were dropped.
   */
  @Test
  @Timeout(30)
  void aThreadThatMayNotWaitNeverWaitsForAStoppedStderrAndItsLinesAreWrittenOrCounted()
      throws Exception {
    LoggerContext context = new LoggerContext();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.start();
    CountDownLatch moving = new CountDownLatch(1);
    Writes stuck =
        new Writes() {
          @Override
          public synchronized void write(byte[] b, int off, int len) {
            try {
              moving.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            super.write(b, off, len);
          }
        };
    BatchingStderrAppender appender = new BatchingStderrAppender();
    appender.setContext(context);
    appender.setName("test");
    appender.setEncoder(encoder);
    appender.setQueueSize(8);
    appender.setOutputStream(stuck);
    appender.start();
    int sent = 100;
    // On a thread marked as one that may not wait (as the S3 event loop is): every append returns.
    Thread loop =
        new Thread(
            () ->
                WouldWait.attempt(() -> {
                  for (int i = 0; i < sent; i++) {
                    appender.doAppend(event(context, "hit " + i));
                  }
                }),
            "event-loop");
    loop.start();
    loop.join(10_000);
    assertThat(loop.isAlive()).as("the event loop waited for stderr").isFalse();
    moving.countDown();
    appender.stop();

    List<String> written = new ArrayList<>();
    long dropped = 0;
    Pattern droppedLine = Pattern.compile("log-writer-test: (\\d+) lines dropped: .*");
    for (String w : stuck.writes) {
      for (String l : w.split("\n")) {
        Matcher m = droppedLine.matcher(l);
        if (m.matches()) {
          dropped += Long.parseLong(m.group(1));
        } else {
          written.add(l);
        }
      }
    }
    // Kept: the batch the writer held when stderr stopped (a queue and an overflow at most), then
    // a queue and an overflow more; every other line is counted as dropped, none is lost unsaid.
    assertThat(written.size()).isLessThanOrEqualTo(1 + 4 * 8);
    assertThat(dropped).isPositive();
    assertThat(written).doesNotHaveDuplicates().allMatch(l -> l.matches("hit \\d+"));
    assertThat(written.size() + dropped).isEqualTo(sent);
  }

  private static LoggingEvent event(LoggerContext context, String message) {
    LoggingEvent e = new LoggingEvent();
    e.setLoggerContext(context);
    e.setLoggerName("leasehold.access");
    e.setLevel(Level.INFO);
    e.setMessage(message);
    e.setTimeStamp(System.currentTimeMillis());
    return e;
  }
}
