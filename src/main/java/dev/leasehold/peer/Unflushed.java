package dev.leasehold.peer;

import dev.leasehold.object.ObjectInfo;
import org.jspecify.annotations.Nullable;

/**
 * A key whose latest version is not at the origin yet, as its owner site answers for it: the LIST
 * overlay's entry. Immutable.
 *
 * @param info the version (null: a delete)
 */
public record Unflushed(String key, @Nullable ObjectInfo info) {}
