/**
 * Write-back's durable side (docs/protocol.md, Writes: write-back): the site's local {@link
 * dev.leasehold.flush.Journal} of versions acknowledged but not yet at the origin, a read view that
 * serves them by ETag ({@link dev.leasehold.flush.JournaledOrigin}), and the {@link
 * dev.leasehold.flush.Uploader} that puts them at the origin, fenced and retried.
 *
 * <p>This package knows nothing of leases: the site decides what to flush and when, and commits a
 * flush at the coordinator.
 */
@NullMarked
package dev.leasehold.flush;

import org.jspecify.annotations.NullMarked;
