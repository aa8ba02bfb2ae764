package dev.leasehold.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds, summarized as percentiles in milliseconds. Not thread-safe. */
final class Latencies {
  private long[] samples = new long[1024];
  private int size;

  void add(long nanos) {
    if (size == samples.length) {
      samples = Arrays.copyOf(samples, size * 2);
    }
    samples[size++] = nanos;
  }

  /** Adds every sample of {@code other}. */
  void addAll(Latencies other) {
    for (int i = 0; i < other.size; i++) {
      add(other.samples[i]);
    }
  }

  int count() {
    return size;
  }

  /** The {@code p}-th percentile (0–100), in milliseconds. */
  double percentileMillis(double p) {
    if (size == 0) {
      throw new IllegalStateException("no samples");
    }
    long[] sorted = Arrays.copyOf(samples, size);
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * size) - 1;
    return sorted[Math.max(0, Math.min(size - 1, index))] / 1e6;
  }

  double meanMillis() {
    long sum = 0;
    for (int i = 0; i < size; i++) {
      sum += samples[i];
    }
    return sum / 1e6 / size;
  }

  String summary() {
    return String.format(
        "p50 %.3f ms  p99 %.3f ms  mean %.3f ms  (n=%d)",
        percentileMillis(50), percentileMillis(99), meanMillis(), size);
  }
}
