package dev.leasehold.object;

import org.jspecify.annotations.Nullable;

/**
 * What a delete did at the origin. In a bucket that keeps versions, a delete without a version id
 * adds a delete marker, which has a version id of its own; a delete of a version names it, and says
 * whether it was a marker. In a bucket that never kept versions, nothing is named. Immutable.
 *
 * @param versionId the version added (a marker) or removed, or null if none is named
 * @param deleteMarker whether that version is a delete marker
 */
public record Deletion(@Nullable String versionId, boolean deleteMarker) {
  /** A delete in a bucket that does not keep versions. */
  public static final Deletion UNVERSIONED = new Deletion(null, false);
}
