package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import org.jspecify.annotations.Nullable;

/**
 * An element whose latest version is not at the origin yet (write-back): the LIST overlay's entry.
 * Immutable.
 *
 * @param info the version (null: a delete)
 * @param site the site it is dirty at
 */
public record DirtyVersion(String key, @Nullable ObjectInfo info, String site) {}
