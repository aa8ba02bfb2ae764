/**
 * The vocabulary of object storage that every layer shares: immutable values for buckets, objects
 * and their metadata, listings, multipart uploads and write conditions, and the order S3 lists keys
 * in.
 *
 * <p>Uses no other Leasehold package but {@code error}.
 */
@NullMarked
package dev.leasehold.object;

import org.jspecify.annotations.NullMarked;
