package dev.leasehold.object;

import org.jspecify.annotations.Nullable;

/**
 * One page of a listing of versions, as asked of an origin. Immutable.
 *
 * @param prefix only keys that start with this
 * @param delimiter if set, keys containing it after the prefix are rolled up into common prefixes
 * @param keyMarker only keys after this (or, with {@code versionIdMarker}, this key's versions
 *     after that one, then the keys after it)
 * @param versionIdMarker with {@code keyMarker}: the version of that key the last page ended on
 *     ({@code null}, the word, for the unversioned version)
 * @param maxKeys at most this many versions, markers and common prefixes together (1..1000)
 */
public record VersionListRequest(
    String prefix,
    @Nullable String delimiter,
    @Nullable String keyMarker,
    @Nullable String versionIdMarker,
    int maxKeys) {}
