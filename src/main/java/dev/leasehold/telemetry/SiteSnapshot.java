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
