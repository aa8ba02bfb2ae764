package dev.leasehold.site;

import org.jspecify.annotations.Nullable;

/**
 * The source of a copy ({@code x-amz-copy-source}), with its conditions ({@code
 * x-amz-copy-source-if-*}) and, for UploadPartCopy, the bytes to copy ({@code
 * x-amz-copy-source-range}). Immutable.
 *
 * @param versionId the version to copy ({@code ?versionId=} in the header), or null for the latest
 */
public record CopySource(
    String bucket,
    String key,
    @Nullable String versionId,
    Preconditions preconditions,
    @Nullable ByteRange range) {}
