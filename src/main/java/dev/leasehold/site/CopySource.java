package dev.leasehold.site;

import org.jspecify.annotations.Nullable;

/**
 * The source of a copy ({@code x-amz-copy-source}), with its conditions ({@code
 * x-amz-copy-source-if-*}) and, for UploadPartCopy, the bytes to copy ({@code
 * x-amz-copy-source-range}). Immutable.
 */
public record CopySource(
    String bucket, String key, Preconditions preconditions, @Nullable ByteRange range) {}
