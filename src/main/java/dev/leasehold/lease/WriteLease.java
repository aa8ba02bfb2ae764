package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import org.jspecify.annotations.Nullable;

/**
 * A WRITE lease: the site may change the element at the origin, and must commit the change with
 * this grant's epoch (the fencing token). Immutable.
 *
 * @param known whether {@code info} describes the element's current version
 * @param info the current version (null with {@code known}: the element does not exist)
 */
public record WriteLease(
    String bucket,
    String key,
    long session,
    long epoch,
    long version,
    boolean known,
    @Nullable ObjectInfo info) {}
