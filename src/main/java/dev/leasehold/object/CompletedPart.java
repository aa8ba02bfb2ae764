package dev.leasehold.object;

/**
 * A part named in a CompleteMultipartUpload request: its number and the ETag it was given.
 * Immutable.
 */
public record CompletedPart(int partNumber, String etag) {}
