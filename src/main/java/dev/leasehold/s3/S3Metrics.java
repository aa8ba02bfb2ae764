package dev.leasehold.s3;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The S3 front end's meters: requests by operation and status ({@code
 * leasehold_s3_requests_total}), their latency by operation ({@code
 * leasehold_s3_request_duration_seconds}, a histogram with fixed buckets), and where reads were
 * answered ({@code leasehold_s3_event_loop_requests_total}). Labels are bounded: the operations are
 * the {@link S3Operation}s plus "None", statuses are HTTP codes.
 *
 * <p>Thread-safe: meters are registered once per label set (the registry hands a racing caller the
 * same meter) and cached in concurrent structures, so a request allocates nothing here.
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

  private final MeterRegistry registry;

  /** Per operation, a counter per status code (index 0: no response), registered on first use. */
  private final ConcurrentHashMap<String, AtomicReferenceArray<Counter>> requests =
      new ConcurrentHashMap<>();

  private final ConcurrentHashMap<String, Timer> latencies = new ConcurrentHashMap<>();

  /** Requests tried on the event loop: answered there, or handed over to a thread of their own. */
  private final Counter servedHere;

  private final Counter handedOver;

  S3Metrics(MeterRegistry registry) {
    this.registry = registry;
    this.servedHere = hereCounter(registry, "served");
    this.handedOver = hereCounter(registry, "handed_over");
  }

  private static Counter hereCounter(MeterRegistry registry, String outcome) {
    return Counter.builder("leasehold.s3.event.loop.requests")
        .description(
            "GET and HEAD requests tried on the event loop: answered there, or handed over to a"
                + " thread of their own")
        .tag("outcome", outcome)
        .register(registry);
  }

  /** A request tried on the event loop was answered there ({@code served}) or handed over. */
  void triedHere(boolean served) {
    (served ? servedHere : handedOver).increment();
  }

  /** One request ended: {@code status} 0 if no response was sent (the client went away). */
  void record(String operation, int status, long nanos) {
    AtomicReferenceArray<Counter> byStatus =
        requests.computeIfAbsent(operation, op -> new AtomicReferenceArray<>(600));
    int index = status > 0 && status < 600 ? status : 0;
    Counter counter = byStatus.get(index);
    if (counter == null) {
      counter =
          Counter.builder("leasehold.s3.requests")
              .description("S3 requests served, by operation and HTTP status")
              .tag("operation", operation)
              .tag("status", index == 0 ? "none" : Integer.toString(index))
              .register(registry); // the registry returns the same counter to a racing caller
      byStatus.set(index, counter);
    }
    counter.increment();
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
