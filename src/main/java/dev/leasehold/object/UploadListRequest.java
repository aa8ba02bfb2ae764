package dev.leasehold.object;

import org.jspecify.annotations.Nullable;

/**
 * One page of ListMultipartUploads, as asked of an origin. Immutable.
 *
 * @param prefix only uploads of keys that start with this
 * @param delimiter if set, keys containing it after the prefix are rolled up
 * @param keyMarker only uploads of keys after this (or of this key, after {@code uploadIdMarker})
 * @param uploadIdMarker with {@code keyMarker}, only uploads of that key initiated after this one
 * @param maxUploads at most this many uploads and common prefixes together
 */
public record UploadListRequest(
    String prefix,
    @Nullable String delimiter,
    @Nullable String keyMarker,
    @Nullable String uploadIdMarker,
    int maxUploads) {}
