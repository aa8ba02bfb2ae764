/**
 * The coordinator's side of docs/protocol.md: sessions, READ and WRITE leases per element, element
 * versions and epochs, kept in an Apache Ratis replicated state machine, and served to sites over
 * gRPC by whichever peer leads.
 *
 * <p>The rules live in {@link dev.leasehold.coordinator.LeaseTable}, a deterministic function of
 * the log; everything that depends on time or on talking to sites (session expiry, recalls, waiting
 * for a grant) runs at the leader only, and reaches the table through the log.
 */
@NullMarked
package dev.leasehold.coordinator;

import org.jspecify.annotations.NullMarked;
