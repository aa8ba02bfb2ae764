package dev.leasehold.lease;

/**
 * A site that may hold unflushed writes under a listed prefix (write-back): an element dirty there,
 * or a prefix lease it holds. A LIST asks it what it holds (its answer is exact; the coordinator's
 * record of versions may lag its commit-free writes). Immutable.
 *
 * @param site the owner site
 * @param address where it is reached (its peer port)
 * @param down whether its session has ended (what it holds is unavailable until it returns)
 */
public record DirtyOwner(String site, String address, boolean down) {}
