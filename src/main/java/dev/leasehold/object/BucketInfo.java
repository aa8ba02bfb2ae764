package dev.leasehold.object;

import java.time.Instant;

/** A bucket at the origin. Immutable. */
public record BucketInfo(String name, Instant creationDate) {}
