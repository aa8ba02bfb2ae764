/**
 * The site's side of docs/protocol.md: the session with the coordinator (registration, renewal, the
 * local deadline), the leases the site holds (an O(1) check on the hot path), recalls received over
 * the server-to-site stream, and releases sent in batches.
 *
 * <p>The site reads a lease as the version it may serve; it never talks to the coordinator but
 * through {@link dev.leasehold.lease.Leases}.
 */
@NullMarked
package dev.leasehold.lease;

import org.jspecify.annotations.NullMarked;
