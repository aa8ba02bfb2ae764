package dev.leasehold.lease;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A site's lease meters, read off its {@link Leases}: {@code leasehold_lease_grants_total{mode}},
 * {@code leasehold_lease_recalls_total}, {@code leasehold_lease_writes_overlapped_total}, {@code
 * leasehold_lease_releases_total}, {@code leasehold_lease_held}, {@code leasehold_session_valid},
 * {@code leasehold_session_remaining_seconds} and {@code leasehold_coordinator_reachable}.
 * Stateless.
 */
final class LeaseMetrics {
  private LeaseMetrics() {}

  static void bind(MeterRegistry registry, Leases leases) {
    FunctionCounter.builder("leasehold.lease.grants", leases, Leases::readGrants)
        .description("Leases granted to this site, by mode")
        .tag("mode", "read")
        .register(registry);
    FunctionCounter.builder("leasehold.lease.grants", leases, Leases::writeGrants)
        .description("Leases granted to this site, by mode")
        .tag("mode", "write")
        .register(registry);
    FunctionCounter.builder("leasehold.lease.recalls", leases, Leases::recallsReceived)
        .description("READ leases the coordinator recalled from this site")
        .register(registry);
    FunctionCounter.builder("leasehold.lease.writes.overlapped", leases, Leases::writesOverlapped)
        .description(
            "Writes claimed early: the origin written while readers elsewhere were recalled")
        .register(registry);
    FunctionCounter.builder("leasehold.lease.releases", leases, Leases::released)
        .description("Leases this site released (recalled, idle or evicted)")
        .register(registry);
    Gauge.builder("leasehold.lease.held", leases, Leases::heldCount)
        .description("READ leases this site holds now")
        .register(registry);
    Gauge.builder("leasehold.session.valid", leases, l -> l.valid() ? 1 : 0)
        .description("1 while the site has a valid session (within its local deadline)")
        .register(registry);
    Gauge.builder(
            "leasehold.session.remaining", leases, l -> l.valid() ? l.remainingNanos() / 1e9 : 0)
        .description("Time left until the site's local session deadline")
        .baseUnit("seconds")
        .register(registry);
    Gauge.builder("leasehold.coordinator.reachable", leases, l -> l.coordinatorReachable() ? 1 : 0)
        .description("1 if the coordinator answered the site's last renewal")
        .register(registry);
  }
}
