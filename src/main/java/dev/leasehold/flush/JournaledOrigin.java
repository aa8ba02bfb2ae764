package dev.leasehold.flush;

import dev.leasehold.error.S3Error;
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
import dev.leasehold.origin.Origin;
import dev.leasehold.origin.Payload;
import dev.leasehold.origin.Peek;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The origin as the owner of write-back data reads it: a version still in the journal is read from
 * there, by its ETag (the read path asks for bytes of one version, and a journaled version is one
 * the origin does not have yet); anything else goes to the origin. A journal entry removed under a
 * read (flushed meanwhile) is read from the origin, which holds it by then.
 *
 * <p>Only reads of bytes and part spans are redirected: the site never asks this view for a version
 * it does not own, nor writes through it. Thread-safe.
 */
public final class JournaledOrigin implements Origin {
  private final Origin origin;
  private final Journal journal;

  public JournaledOrigin(Origin origin, Journal journal) {
    this.origin = origin;
    this.journal = journal;
  }

  /**
   * The origin's: a peek is of what the origin holds, asked only for what this site does not own.
   */
  @Override
  public @Nullable Peek peek(String bucket, String key, long offset, long length) {
    return origin.peek(bucket, key, offset, length);
  }

  @Override
  public InputStream read(String bucket, String key, String etag, long offset, long length) {
    JournalEntry e = journal.find(bucket, key, etag);
    if (e != null && e.data() != null) {
      try {
        FileChannel ch = FileChannel.open(e.data(), StandardOpenOption.READ);
        ch.position(offset);
        return new Slice(Channels.newInputStream(ch), length);
      } catch (NoSuchFileException gone) {
        // flushed and removed meanwhile: the origin has it now
      } catch (IOException io) {
        throw S3Error.INTERNAL_ERROR.exception("The journal could not be read.").causedBy(io);
      }
    }
    return origin.read(bucket, key, etag, offset, length);
  }

  @Override
  public PartSpan partSpan(String bucket, String key, String etag, int partNumber) {
    JournalEntry e = journal.find(bucket, key, etag);
    if (e != null && e.info() != null) {
      if (partNumber != 1) {
        throw S3Error.INVALID_PART_NUMBER.exception();
      }
      return new PartSpan(0, e.info().size(), 1);
    }
    return origin.partSpan(bucket, key, etag, partNumber);
  }

  @Override
  public String describe() {
    return origin.describe();
  }

  @Override
  public List<BucketInfo> listBuckets() {
    return origin.listBuckets();
  }

  @Override
  public void createBucket(String bucket) {
    origin.createBucket(bucket);
  }

  @Override
  public void deleteBucket(String bucket) {
    origin.deleteBucket(bucket);
  }

  @Override
  public boolean bucketExists(String bucket) {
    return origin.bucketExists(bucket);
  }

  @Override
  public ObjectInfo head(String bucket, String key) {
    return origin.head(bucket, key);
  }

  @Override
  public @Nullable ObjectInfo headInBucket(String bucket, String key) {
    return origin.headInBucket(bucket, key);
  }

  @Override
  public ObjectInfo put(
      String bucket,
      String key,
      Payload payload,
      ObjectMetadata metadata,
      WriteCondition condition) {
    return origin.put(bucket, key, payload, metadata, condition);
  }

  @Override
  public Deletion delete(String bucket, String key, @Nullable String ifMatch) {
    return origin.delete(bucket, key, ifMatch);
  }

  @Override
  public ObjectInfo updateMetadata(
      String bucket, String key, String etag, String name, @Nullable String value) {
    return origin.updateMetadata(bucket, key, etag, name, value);
  }

  // Versions other than the latest live at the origin only: a journaled version has no version id.

  @Override
  public @Nullable String versioning(String bucket) {
    return origin.versioning(bucket);
  }

  @Override
  public void setVersioning(String bucket, boolean enabled) {
    origin.setVersioning(bucket, enabled);
  }

  @Override
  public ObjectInfo headVersion(String bucket, String key, String versionId) {
    return origin.headVersion(bucket, key, versionId);
  }

  @Override
  public InputStream readVersion(
      String bucket, String key, String versionId, String etag, long offset, long length) {
    return origin.readVersion(bucket, key, versionId, etag, offset, length);
  }

  @Override
  public Deletion deleteVersion(
      String bucket, String key, String versionId, boolean bypassGovernance) {
    return origin.deleteVersion(bucket, key, versionId, bypassGovernance);
  }

  @Override
  public @Nullable LockConfiguration objectLock(String bucket) {
    return origin.objectLock(bucket);
  }

  @Override
  public void setObjectLock(String bucket, LockConfiguration configuration) {
    origin.setObjectLock(bucket, configuration);
  }

  @Override
  public ObjectLock lock(String bucket, String key, @Nullable String versionId) {
    return origin.lock(bucket, key, versionId);
  }

  @Override
  public void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<ObjectLock> change,
      boolean bypassGovernance) {
    origin.setLock(bucket, key, versionId, change, bypassGovernance);
  }

  @Override
  public VersionListing listVersions(String bucket, VersionListRequest request) {
    return origin.listVersions(bucket, request);
  }

  @Override
  public Listing list(String bucket, ListRequest request) {
    return origin.list(bucket, request);
  }

  @Override
  public String createUpload(String bucket, String key, ObjectMetadata metadata) {
    return origin.createUpload(bucket, key, metadata);
  }

  @Override
  public PartInfo uploadPart(
      String bucket, String key, String uploadId, int partNumber, Payload payload) {
    return origin.uploadPart(bucket, key, uploadId, partNumber, payload);
  }

  @Override
  public ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      @Nullable Checksum checksum) {
    return origin.completeUpload(bucket, key, uploadId, parts, condition, checksum);
  }

  @Override
  public List<PartInfo> objectParts(String bucket, String key, String etag) {
    return origin.objectParts(bucket, key, etag);
  }

  @Override
  public void abortUpload(String bucket, String key, String uploadId) {
    origin.abortUpload(bucket, key, uploadId);
  }

  @Override
  public PartListing listParts(
      String bucket, String key, String uploadId, int marker, int maxParts) {
    return origin.listParts(bucket, key, uploadId, marker, maxParts);
  }

  @Override
  public UploadListing listUploads(String bucket, UploadListRequest request) {
    return origin.listUploads(bucket, request);
  }

  @Override
  public void close() {
    // the site closes the origin it wraps
  }

  /** The first {@code left} bytes of a stream. */
  private static final class Slice extends java.io.FilterInputStream {
    private long left;

    Slice(InputStream in, long length) {
      super(in);
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
