package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchingStderrAppenderTest {
  /** Records each write apart, as the system calls the appender makes. */
  private static final class Writes extends ByteArrayOutputStream {
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
