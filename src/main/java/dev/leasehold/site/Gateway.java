package dev.leasehold.site;

import dev.leasehold.object.BucketInfo;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.Deletion;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartListing;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.object.WriteCondition;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a site does, as the S3 front end sees it: one method per S3 operation, in S3's terms but
 * free of HTTP. Failures are {@link dev.leasehold.error.S3Exception}s (and {@link
 * NotModifiedException} for a conditional read of the version the client has).
 *
 * <p>Every method blocks; the front end calls them on virtual threads. Thread-safe.
 */
public interface Gateway {
  List<BucketInfo> listBuckets();

  void createBucket(String bucket);

  void deleteBucket(String bucket);

  /** {@code NoSuchBucket} unless the bucket exists. */
  void headBucket(String bucket);

  /**
   * The bucket's setting of kind {@code kind} (an S3 sub-resource such as {@code cors}), or null if
   * none is set; kept at the coordinator for every site (docs/protocol.md, Bucket settings). Asks
   * nothing of the origin: the caller knows the bucket exists, or asks {@link #headBucket}.
   */
  byte @org.jspecify.annotations.Nullable [] bucketSetting(String bucket, String kind);

  /**
   * {@code NoSuchBucket} unless the origin has the bucket, for a request nobody signed: asks the
   * coordinator nothing about a bucket the origin lacks (unlike every other call here).
   */
  void checkBucketUnsigned(String bucket);

  /** Sets the bucket's setting of kind {@code kind}; null removes it. */
  void setBucketSetting(
      String bucket, String kind, byte @org.jspecify.annotations.Nullable [] document);

  /** A GET; the returned read is ready to send. */
  ObjectRead get(GetRequest request);

  /** A HEAD: the read's version and span, with no bytes fetched. */
  ObjectRead head(GetRequest request);

  ObjectInfo put(PutRequest request, Upload body);

  /** Deletes the key's latest version (in a bucket that keeps versions: adds a delete marker). */
  Deletion delete(String bucket, String key);

  /**
   * Deletes each object, in order, reporting each outcome: {@code versionIds.get(i)} names the
   * version of {@code keys.get(i)} to remove, or is null for its latest.
   */
  List<DeleteOutcome> deleteAll(
      String bucket,
      List<String> keys,
      List<@Nullable String> versionIds,
      boolean bypassGovernance);

  /**
   * Sets one entry Leasehold keeps in the latest version's metadata (its ACL, {@link
   * dev.leasehold.object.Acl#METADATA_NAME}, or its tags, {@link
   * dev.leasehold.object.ObjectTags#METADATA_NAME}; null removes it), under the key's WRITE lease
   * like any change of it. {@code versionId}, if given, must name the latest version.
   */
  ObjectInfo setObjectEntry(
      String bucket, String key, @Nullable String versionId, String name, @Nullable String value);

  // ---- versions (docs/s3-api.md, Versioning; docs/protocol.md, Versions)

  /** The bucket's versioning status ({@code Enabled}, {@code Suspended}), or null: never kept. */
  @Nullable String versioning(String bucket);

  /** Starts or suspends keeping versions; {@code InvalidBucketState} for a write-back bucket. */
  void setVersioning(String bucket, boolean enabled);

  /** A GET ({@code body}) or HEAD of version {@code versionId}, with no lease. */
  ObjectRead getVersion(GetRequest request, String versionId, boolean body);

  /**
   * Removes version {@code versionId} of the key for good, unless its Object Lock forbids it
   * ({@code AccessDenied}; a GOVERNANCE retention yields to {@code bypassGovernance}).
   */
  Deletion deleteVersion(String bucket, String key, String versionId, boolean bypassGovernance);

  VersionListing listVersions(String bucket, VersionListRequest request);

  // ---- Object Lock (docs/s3-api.md, Object Lock): the origin's, as versions are

  /** The bucket's Object Lock configuration, or null if it has none. */
  dev.leasehold.object.@Nullable LockConfiguration objectLock(String bucket);

  /** Enables Object Lock on a bucket that keeps versions, with a default retention or none. */
  void setObjectLock(String bucket, dev.leasehold.object.LockConfiguration configuration);

  /** The lock of a version ({@code versionId} null: the latest), as the origin holds it. */
  dev.leasehold.object.ObjectLock lock(String bucket, String key, @Nullable String versionId);

  /** Sets the lock of a version ({@code versionId} null: the latest). */
  void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<dev.leasehold.object.ObjectLock> change,
      boolean bypassGovernance);

  ObjectInfo copy(CopyRequest request);

  Listing list(String bucket, ListRequest request);

  String createUpload(String bucket, String key, ObjectMetadata metadata);

  PartInfo uploadPart(String bucket, String key, String uploadId, int partNumber, Upload body);

  PartInfo uploadPartCopy(
      String bucket, String key, String uploadId, int partNumber, CopySource source);

  /**
   * Completes an upload; {@code checksum}, the composite of the parts' checksums the request named,
   * is kept with the object where the origin can keep it (the answer's metadata says).
   */
  ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      dev.leasehold.object.@Nullable Checksum checksum);

  void abortUpload(String bucket, String key, String uploadId);

  /**
   * The parts of an object's version {@code etag} (uploaded in parts) as the origin keeps them;
   * empty if it cannot say. No lease: a version's parts never change.
   */
  List<PartInfo> objectParts(String bucket, String key, String etag);

  PartListing listParts(String bucket, String key, String uploadId, int marker, int maxParts);

  UploadListing listUploads(String bucket, UploadListRequest request);
}
