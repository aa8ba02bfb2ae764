package dev.leasehold.flush;

import java.time.Duration;

/**
 * When a site flushes write-back data. Immutable.
 *
 * @param delay how long after a dirty write its flush starts (later writes of the key within it are
 *     flushed once)
 * @param concurrency the most uploads at a time
 */
public record FlushSettings(Duration delay, int concurrency) {
  public FlushSettings {
    if (concurrency < 1) {
      throw new IllegalArgumentException("flush concurrency must be at least 1");
    }
  }
}
