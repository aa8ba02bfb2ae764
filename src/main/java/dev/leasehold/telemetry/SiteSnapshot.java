package dev.leasehold.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the dashboard shows of one site, read off its meters at one moment: cumulative counters (the
 * page turns successive snapshots into rates) and current gauges. Stateless.
 */
final class SiteSnapshot {
  private SiteSnapshot() {}

  static Map<String, Object> of(String site, Health health, MeterRegistry registry) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("site", site);
    s.put("time", System.currentTimeMillis());
    s.put("ready", health.ready());
    s.put("reason", health.reason());
    s.put("requests", count(registry.find("leasehold.s3.requests")));
    s.put("errors", errors(registry));
    double seconds = 0;
    long timed = 0;
    for (Timer t : registry.find("leasehold.s3.request.duration").timers()) {
      seconds += t.totalTime(TimeUnit.SECONDS);
      timed += t.count();
    }
    s.put("requestSeconds", seconds);
    s.put("timedRequests", timed);
    s.put("cacheHits", count(registry.find("leasehold.cache.requests").tag("result", "hit")));
    s.put("cacheMisses", count(registry.find("leasehold.cache.requests").tag("result", "miss")));
    s.put("bytesFromCache", count(registry.find("leasehold.cache.bytes").tag("source", "cache")));
    s.put("bytesFromOrigin", count(registry.find("leasehold.cache.bytes").tag("source", "origin")));
    s.put("egressSavedBytes", count(registry.find("leasehold.origin.egress.saved")));
    s.put("egressSavedDollars", count(registry.find("leasehold.origin.egress.saved.cost")));
    s.put("leaseGrants", count(registry.find("leasehold.lease.grants")));
    s.put("recalls", count(registry.find("leasehold.lease.recalls")));
    s.put("leasesHeld", gauge(registry, "leasehold.lease.held"));
    s.put("sessionRemainingSeconds", gauge(registry, "leasehold.session.remaining"));
    s.put("coordinatorReachable", gauge(registry, "leasehold.coordinator.reachable") == 1);
    s.put("cacheSizeBytes", gauge(registry, "leasehold.cache.size"));
    s.put("cacheBudgetBytes", gauge(registry, "leasehold.cache.budget"));
    s.put("raftAppliedIndex", gauge(registry, "leasehold.raft.applied.index"));
    s.put("coordinatorLeader", gauge(registry, "leasehold.coordinator.leader") == 1);
    s.put("flushBacklogBytes", gauge(registry, "leasehold.journal.bytes"));
    return s;
  }

  /** Every field of a snapshot and its JSON type: what another site's answer must be. */
  private static final Map<String, Class<?>> SHAPE = shape();

  private static Map<String, Class<?>> shape() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("site", String.class);
    m.put("time", Number.class);
    m.put("ready", Boolean.class);
    m.put("reason", String.class);
    for (String n :
        new String[] {
          "requests",
          "errors",
          "requestSeconds",
          "timedRequests",
          "cacheHits",
          "cacheMisses",
          "bytesFromCache",
          "bytesFromOrigin",
          "egressSavedBytes",
          "egressSavedDollars",
          "leaseGrants",
          "recalls",
          "leasesHeld",
          "sessionRemainingSeconds"
        }) {
      m.put(n, Number.class);
    }
    m.put("coordinatorReachable", Boolean.class);
    m.put("cacheSizeBytes", Number.class);
    m.put("cacheBudgetBytes", Number.class);
    m.put("raftAppliedIndex", Number.class);
    m.put("coordinatorLeader", Boolean.class);
    m.put("flushBacklogBytes", Number.class);
    return java.util.Collections.unmodifiableMap(m);
  }

  /** The longest {@code reason} passed on from another site. */
  private static final int MAX_REASON = 300;

  /**
   * Another site's answer, as this site passes it on: exactly the fields of a snapshot with their
   * types, {@code site} being the name it registered under; nothing else is copied.
   *
   * @throws IllegalArgumentException if the answer is not a snapshot of that site
   */
  static Map<String, Object> checked(String site, Map<?, ?> answer) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Class<?>> f : SHAPE.entrySet()) {
      Object v = answer.get(f.getKey());
      if (v == null || !f.getValue().isInstance(v)) {
        throw new IllegalArgumentException("no " + f.getValue().getSimpleName() + " " + f.getKey());
      }
      if (v instanceof Number n) {
        v = f.getKey().equals("time") ? (Object) n.longValue() : (Object) n.doubleValue();
      } else if (v instanceof String text && text.length() > MAX_REASON) {
        v = text.substring(0, MAX_REASON);
      }
      out.put(f.getKey(), v);
    }
    if (!site.equals(out.get("site"))) {
      throw new IllegalArgumentException("it calls itself " + out.get("site"));
    }
    return out;
  }

  private static double errors(MeterRegistry registry) {
    double n = 0;
    for (Counter c : registry.find("leasehold.s3.requests").counters()) {
      String status = c.getId().getTag("status");
      if (status != null && status.startsWith("5")) {
        n += c.count();
      }
    }
    return n;
  }

  private static double count(Search search) {
    double n = 0;
    for (Counter c : search.counters()) {
      n += c.count();
    }
    for (FunctionCounter c : search.functionCounters()) {
      n += c.count();
    }
    return n;
  }

  private static double gauge(MeterRegistry registry, String name) {
    Gauge g = registry.find(name).gauge();
    return g == null ? 0 : g.value();
  }
}
