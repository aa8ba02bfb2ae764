package dev.leasehold.object;

import java.time.Instant;

/** One uploaded part of a multipart upload. Immutable. */
public record PartInfo(int partNumber, String etag, long size, Instant lastModified) {}
