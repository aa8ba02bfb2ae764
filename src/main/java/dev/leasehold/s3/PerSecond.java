package dev.leasehold.s3;

import java.util.function.LongFunction;

/**
 * A text that changes once a second, such as the date of a response header or of an access-log
 * line: formatted once per second however many requests ask for it.
 *
 * <p>Thread-safe: an immutable (second, text) pair behind a volatile reference. Threads that race
 * into a new second may each format it; one of their equal texts stays.
 */
final class PerSecond {
  private record Text(long second, String text) {}

  private final LongFunction<String> format;
  private volatile Text current = new Text(Long.MIN_VALUE, "");

  /** {@code format} makes the text of a second since the epoch. */
  PerSecond(LongFunction<String> format) {
    this.format = format;
  }

  /** The text of the current second. */
  String now() {
    return at(Math.floorDiv(System.currentTimeMillis(), 1000L));
  }

  /** The text of {@code second} (since the epoch), kept if it is the latest asked for. */
  String at(long second) {
    Text t = current;
    if (t.second() != second) {
      t = new Text(second, format.apply(second));
      current = t;
    }
    return t.text();
  }
}
