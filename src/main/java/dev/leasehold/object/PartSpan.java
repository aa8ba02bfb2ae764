package dev.leasehold.object;

/**
 * Where one part of a multipart object lies in the object's bytes. Immutable.
 *
 * @param offset the first byte of the part
 * @param length the part's length
 * @param partsCount how many parts the object has
 */
public record PartSpan(long offset, long length, int partsCount) {}
