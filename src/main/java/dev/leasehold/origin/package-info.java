/**
 * The durable home of data: the {@link dev.leasehold.origin.Origin} interface and its connectors, a
 * local directory ({@link dev.leasehold.origin.DirectoryOrigin}) and any S3-compatible store
 * ({@link dev.leasehold.origin.S3Origin}).
 *
 * <p>An origin knows nothing of caches, leases or sites; it stores objects and answers with S3
 * semantics, raising {@link dev.leasehold.error.S3Exception} for S3-visible failures.
 */
@NullMarked
package dev.leasehold.origin;

import org.jspecify.annotations.NullMarked;
