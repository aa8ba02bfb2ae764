/**
 * What operators see: the admin endpoint with health checks (metrics, tracing and the dashboard
 * come later). Uses no other Leasehold package; the wiring hands it what to report.
 */
@NullMarked
package dev.leasehold.telemetry;

import org.jspecify.annotations.NullMarked;
