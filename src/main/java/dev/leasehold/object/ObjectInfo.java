package dev.leasehold.object;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One version of an object as the origin holds it.
 *
 * <p>Immutable.
 *
 * @param key the object's key
 * @param size its length in bytes
 * @param etag the origin's entity tag, without quotes
 * @param lastModified when this version was written
 * @param metadata the headers and user metadata stored with it
 * @param partsCount the number of parts it was uploaded in, or 0 if it was not a multipart upload
 * @param versionId the version id the origin gave it in a bucket that keeps versions, or null: the
 *     object's only version, which S3 calls {@code null} (docs/s3-api.md, Versioning)
 */
public record ObjectInfo(
    String key,
    long size,
    String etag,
    Instant lastModified,
    ObjectMetadata metadata,
    int partsCount,
    @Nullable String versionId) {

  /** A version of an object in a bucket that does not keep versions. */
  public ObjectInfo(
      String key,
      long size,
      String etag,
      Instant lastModified,
      ObjectMetadata metadata,
      int partsCount) {
    this(key, size, etag, lastModified, metadata, partsCount, null);
  }

  /** The same version with {@code versionId}. */
  public ObjectInfo withVersionId(@Nullable String versionId) {
    return new ObjectInfo(key, size, etag, lastModified, metadata, partsCount, versionId);
  }

  /** The ETag of {@code info}, or null for no object. */
  public static @Nullable String etagOf(@Nullable ObjectInfo info) {
    return info == null ? null : info.etag();
  }

  /** The entity tag as HTTP carries it, in double quotes. */
  public String quotedEtag() {
    return '"' + etag + '"';
  }
}
