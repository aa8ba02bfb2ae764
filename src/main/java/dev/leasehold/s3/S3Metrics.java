package dev.leasehold.s3;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The S3 front end's meters: requests by operation and status ({@code leasehold_s3_requests_total})
 * and their latency by operation ({@code leasehold_s3_request_duration_seconds}, a histogram with
 * fixed buckets). Labels are bounded: the operations are the {@link S3Operation}s plus "None",
 * statuses are HTTP codes.
 *
 * <p>Thread-safe: meters are registered once per label set and cached in concurrent maps.
 */
final class S3Metrics {
  private static final Duration[] BUCKETS = {
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30)
  };

  private record Outcome(String operation, String status) {}

  private final MeterRegistry registry;
  private final ConcurrentHashMap<Outcome, Counter> requests = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> latencies = new ConcurrentHashMap<>();

  S3Metrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One request ended: {@code status} 0 if no response was sent (the client went away). */
  void record(String operation, int status, long nanos) {
    requests
        .computeIfAbsent(
            new Outcome(operation, status == 0 ? "none" : Integer.toString(status)),
            o ->
                Counter.builder("leasehold.s3.requests")
                    .description("S3 requests served, by operation and HTTP status")
                    .tag("operation", o.operation())
                    .tag("status", o.status())
                    .register(registry))
        .increment();
    latencies
        .computeIfAbsent(
            operation,
            op ->
                Timer.builder("leasehold.s3.request.duration")
                    .description("Time to serve an S3 request, to the last byte sent")
                    .tag("operation", op)
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }
}
