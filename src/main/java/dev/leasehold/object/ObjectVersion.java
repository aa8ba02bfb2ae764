package dev.leasehold.object;

/**
 * One entry of a listing of versions: a version of an object, or a delete marker (whose {@code
 * info} has no bytes, an empty ETag and no metadata). Immutable.
 *
 * @param info the version; its {@code versionId} is null for the version S3 calls {@code null}
 * @param latest whether it is the key's latest version (a marker may be)
 * @param deleteMarker whether it is a delete marker
 */
public record ObjectVersion(ObjectInfo info, boolean latest, boolean deleteMarker) {
  /** The version id as S3 writes it: {@code null} (the word) for the unversioned version. */
  public String versionIdText() {
    String id = info.versionId();
    return id == null ? "null" : id;
  }
}
