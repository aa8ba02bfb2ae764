package dev.leasehold.object;

import java.time.Instant;

/** A multipart upload in progress. Immutable. */
public record UploadInfo(String key, String uploadId, Instant initiated) {}
