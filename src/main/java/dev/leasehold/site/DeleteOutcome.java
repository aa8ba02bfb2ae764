package dev.leasehold.site;

import dev.leasehold.error.S3Exception;
import org.jspecify.annotations.Nullable;

/** What became of one key of a DeleteObjects: deleted, or the error that stopped it. Immutable. */
public record DeleteOutcome(String key, @Nullable S3Exception error) {}
