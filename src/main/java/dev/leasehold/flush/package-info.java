/**
 * Write-back's durable side (docs/protocol.md, Writes: write-back): the site's local {@link
 * dev.leasehold.flush.Journal} of versions acknowledged but not yet at the origin, a read view that
 * serves them by ETag ({@link dev.leasehold.flush.JournaledOrigin}), and the {@link
 * dev.leasehold.flush.Uploader} that puts them at the origin, fenced and retried; and the {@link
 * dev.leasehold.flush.Flusher}, which decides what to flush and when, under the owner's WRITE
 * grant, commits each flush at the coordinator, and hands an element over when it is recalled.
 */
@NullMarked
package dev.leasehold.flush;

import org.jspecify.annotations.NullMarked;
