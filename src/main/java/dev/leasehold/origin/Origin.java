package dev.leasehold.origin;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.object.BucketInfo;
import dev.leasehold.object.Checksum;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.Deletion;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.LockConfiguration;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectLock;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartListing;
import dev.leasehold.object.PartSpan;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.object.WriteCondition;
import java.io.InputStream;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The object store a bucket lives in. A bucket at Leasehold is the bucket of the same name at its
 * origin.
 *
 * <p>Every method is blocking and thread-safe; callers run them on virtual threads. Failures that a
 * client should see are {@link dev.leasehold.error.S3Exception}s with the S3 code the origin
 * answered ({@code NoSuchBucket}, {@code NoSuchKey}, {@code PreconditionFailed}, ...); a failure to
 * reach the origin is {@code ServiceUnavailable}.
 *
 * <p>Writes are atomic: a reader sees the old object or the new one, never a part of either, and a
 * write that fails leaves nothing visible.
 */
public interface Origin extends AutoCloseable {

  /** A short description for logs and the start-up banner, such as {@code file:///data/origin}. */
  String describe();

  List<BucketInfo> listBuckets();

  /** Creates a bucket; {@code BucketAlreadyOwnedByYou} if it exists. */
  void createBucket(String bucket);

  /** Deletes an empty bucket; {@code NoSuchBucket}, {@code BucketNotEmpty}. */
  void deleteBucket(String bucket);

  /** Whether the bucket exists. */
  boolean bucketExists(String bucket);

  /** The current version of an object; {@code NoSuchBucket}, {@code NoSuchKey}. */
  ObjectInfo head(String bucket, String key);

  /**
   * The current version of an object in a bucket the caller knows to exist, or null if it has none.
   * Unlike {@link #head}, an absent object is not looked into further: an S3 origin would otherwise
   * ask whether the bucket exists (a HEAD's 404 does not say), one more round trip. A bucket that
   * is gone after all answers null here, and its error at the write that follows.
   */
  default @Nullable ObjectInfo headInBucket(String bucket, String key) {
    try {
      return head(bucket, key);
    } catch (S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_KEY || e.error() == S3Error.NO_SUCH_BUCKET) {
        return null;
      }
      throw e;
    }
  }

  /**
   * A read of whatever version the object has now, from {@code offset} (up to {@code length}
   * bytes): for a read that does not know yet which version it may serve and asks the origin while
   * it asks the coordinator. The answer's own headers say which version the bytes are of, so it
   * stands in for a HEAD. {@link Peek#absent} if there is no such object (in a bucket the caller
   * knows to exist); null if it cannot tell, as when the object has no byte at {@code offset}. An
   * S3 origin makes it one GET.
   */
  default @Nullable Peek peek(String bucket, String key, long offset, long length) {
    ObjectInfo info = headInBucket(bucket, key);
    if (info == null) {
      return Peek.absent(offset);
    }
    if (offset >= info.size()) {
      return null;
    }
    long n = Math.min(length, info.size() - offset);
    return new Peek(info, offset, n, read(bucket, key, info.etag(), offset, n));
  }

  /**
   * Where part {@code partNumber} of the object's version {@code etag} lies; {@code
   * PreconditionFailed} if the object is no longer at that version, {@code InvalidPartNumber} if it
   * has no such part. An object that was not uploaded in parts has one part, itself.
   */
  PartSpan partSpan(String bucket, String key, String etag, int partNumber);

  /**
   * Opens {@code length} bytes of the object from {@code offset}, only if it is still at version
   * {@code etag} ({@code PreconditionFailed} otherwise). The caller closes the stream.
   */
  InputStream read(String bucket, String key, String etag, long offset, long length);

  /** Stores an object, replacing any current version, if {@code condition} holds. */
  ObjectInfo put(
      String bucket,
      String key,
      Payload payload,
      ObjectMetadata metadata,
      WriteCondition condition);

  /**
   * Deletes an object; deleting a missing key succeeds. With {@code ifMatch}, only the version of
   * that ETag is deleted ({@code PreconditionFailed} if another is current, {@code NoSuchKey} if
   * none is): the fence of a delete under a WRITE lease. {@code NoSuchBucket}. In a bucket that
   * keeps versions (or suspended them), the delete adds a delete marker, which the answer names.
   */
  Deletion delete(String bucket, String key, @Nullable String ifMatch);

  /**
   * Sets entry {@code name} of the latest version's user metadata to {@code value} (null removes
   * it), if the latest version still has ETag {@code etag} ({@code PreconditionFailed} otherwise,
   * {@code NoSuchKey} if there is none): a change of what is said about the version (its ACL), not
   * of its bytes. Returns the version as it is now; an origin that can only rewrite an object to
   * change its metadata gives it a new ETag or version id, which the answer names.
   */
  ObjectInfo updateMetadata(
      String bucket, String key, String etag, String name, @Nullable String value);

  // ---- versions (docs/s3-api.md, Versioning)

  /**
   * The bucket's versioning status as S3 names it: {@code Enabled}, {@code Suspended}, or null if
   * it never kept versions. {@code NoSuchBucket}.
   */
  @Nullable String versioning(String bucket);

  /** Starts ({@code true}) or suspends keeping versions of the bucket's objects. */
  void setVersioning(String bucket, boolean enabled);

  /**
   * Version {@code versionId} of an object ({@code null}, the word, for the unversioned version);
   * {@code NoSuchVersion} if there is none, {@code MethodNotAllowed} (with {@code
   * x-amz-delete-marker}) if it is a delete marker.
   */
  ObjectInfo headVersion(String bucket, String key, String versionId);

  /**
   * Opens {@code length} bytes of version {@code versionId} from {@code offset}, only if it still
   * has ETag {@code etag} (the {@code null} version can be replaced): {@code PreconditionFailed}
   * otherwise, {@code NoSuchVersion} if it is gone.
   */
  InputStream readVersion(
      String bucket, String key, String versionId, String etag, long offset, long length);

  /**
   * Removes version {@code versionId} for good; the next newest becomes the latest if it was.
   * Removing a version that does not exist succeeds. {@code AccessDenied} if its Object Lock
   * forbids it (a legal hold, or a retention in force that is COMPLIANCE, or GOVERNANCE without
   * {@code bypassGovernance}).
   */
  Deletion deleteVersion(String bucket, String key, String versionId, boolean bypassGovernance);

  /** One page of the bucket's versions and delete markers; {@code NoSuchBucket}. */
  VersionListing listVersions(String bucket, VersionListRequest request);

  // ---- Object Lock (docs/s3-api.md, Object Lock)

  /** The bucket's Object Lock configuration, or null if it never had Object Lock enabled. */
  @Nullable LockConfiguration objectLock(String bucket);

  /**
   * Enables Object Lock on the bucket (for good) with {@code configuration}'s default retention;
   * {@code InvalidBucketState} unless the bucket keeps versions. A write's own lock is kept with
   * its version among its metadata ({@link ObjectLock#METADATA_NAME}); a write that names none gets
   * the default retention.
   */
  void setObjectLock(String bucket, LockConfiguration configuration);

  /**
   * The lock of version {@code versionId} (null: the latest); {@code NoSuchKey}, {@code
   * NoSuchVersion}.
   */
  ObjectLock lock(String bucket, String key, @Nullable String versionId);

  /**
   * Changes the lock of version {@code versionId} (null: the latest) to what {@code change} makes
   * of it, applied to the lock as it is at that moment (a retention change and a legal hold change
   * made at once never undo each other): {@code AccessDenied} if it would shorten, lift or weaken a
   * retention in force that the rules keep ({@link ObjectLock#mayChangeRetentionTo}).
   */
  void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<ObjectLock> change,
      boolean bypassGovernance);

  /** One page of the bucket's keys; {@code NoSuchBucket}. */
  Listing list(String bucket, ListRequest request);

  /** Starts a multipart upload and returns its id. */
  String createUpload(String bucket, String key, ObjectMetadata metadata);

  /** Stores one part, replacing a part of the same number; {@code NoSuchUpload}. */
  PartInfo uploadPart(String bucket, String key, String uploadId, int partNumber, Payload payload);

  /**
   * Assembles the named parts into the object, if {@code condition} holds; {@code NoSuchUpload},
   * {@code InvalidPart}, {@code InvalidPartOrder}, {@code EntityTooSmall}.
   */
  default ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition) {
    return completeUpload(bucket, key, uploadId, parts, condition, null);
  }

  /**
   * {@link #completeUpload(String, String, String, List, WriteCondition)}, keeping {@code checksum}
   * (the composite of the parts' checksums, checked by the caller) with the object where the origin
   * can; an origin that cannot keeps none, and the answer says which.
   */
  ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      @Nullable Checksum checksum);

  /**
   * The parts of the version with ETag {@code etag} of an object uploaded in parts (number, size,
   * and checksum where kept), for GetObjectAttributes; empty if the origin cannot say. A version's
   * parts never change, so the ETag is all that names them.
   */
  default List<PartInfo> objectParts(String bucket, String key, String etag) {
    return List.of();
  }

  /** Abandons an upload and its parts; {@code NoSuchUpload}. */
  void abortUpload(String bucket, String key, String uploadId);

  /** One page of an upload's parts, after part number {@code marker}. */
  PartListing listParts(String bucket, String key, String uploadId, int marker, int maxParts);

  /** One page of the bucket's uploads in progress. */
  UploadListing listUploads(String bucket, UploadListRequest request);

  @Override
  void close();
}
