package dev.leasehold.object;

import org.jspecify.annotations.Nullable;

/**
 * One page of a listing, as asked of an origin. Immutable.
 *
 * @param prefix only keys that start with this
 * @param delimiter if set, keys containing it after the prefix are rolled up into common prefixes
 * @param startAfter only keys (and common prefixes) that sort after this, in UTF-8 byte order
 * @param maxKeys at most this many keys and common prefixes together (1..1000)
 */
public record ListRequest(
    String prefix, @Nullable String delimiter, @Nullable String startAfter, int maxKeys) {}
