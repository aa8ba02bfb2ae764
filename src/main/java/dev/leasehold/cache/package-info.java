/**
 * The site's chunk cache: objects in fixed-size chunks on local disk, keyed by (bucket, key, ETag,
 * chunk index), with a byte budget enforced by eviction and one origin fetch however many readers
 * miss the same chunk at once.
 *
 * <p>The cache knows nothing of S3, origins or leases: callers name a chunk and say how to load it.
 */
@NullMarked
package dev.leasehold.cache;

import org.jspecify.annotations.NullMarked;
