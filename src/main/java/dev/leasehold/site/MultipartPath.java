package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartListing;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.Origin;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Multipart uploads, written through to the origin's own multipart upload: parts are staged and
 * verified like any write body, then stored at the origin (parts are invisible until completed, so
 * they need no lease); completing is the write that makes the new version visible, under WRITE(E)
 * like any other ({@link WriteGuard}). Thread-safe.
 */
final class MultipartPath {
  private final Staging staging;
  private final Origin origin;
  private final ReadPath reads;
  private final WriteGuard guard;
  private final UploadLimits limits;

  MultipartPath(
      Staging staging, Origin origin, ReadPath reads, WriteGuard guard, UploadLimits limits) {
    this.staging = staging;
    this.origin = origin;
    this.reads = reads;
    this.guard = guard;
    this.limits = limits;
  }

  String create(String bucket, String key, ObjectMetadata metadata) {
    limits.beforeCreate(bucket);
    return origin.createUpload(bucket, key, metadata);
  }

  PartInfo uploadPart(String bucket, String key, String uploadId, int partNumber, Upload body) {
    try (StagedFile staged = staging.receive(body)) {
      return origin.uploadPart(bucket, key, uploadId, partNumber, staged);
    }
  }

  PartInfo uploadPartCopy(
      String bucket, String key, String uploadId, int partNumber, CopySource source) {
    ObjectRead read = Copies.read(reads, source);
    ByteRange range = source.range();
    if (range != null && range.last() >= read.info().size()) {
      // A copy range is exact, unlike a GET's, which S3 cuts to the object.
      throw S3Error.INVALID_RANGE
          .exception(
              "Range specified is not valid for source object of size: " + read.info().size())
          .with("ActualObjectSize", Long.toString(read.info().size()));
    }
    try (StagedFile staged = staging.receive(read)) {
      return origin.uploadPart(bucket, key, uploadId, partNumber, staged);
    }
  }

  ObjectInfo complete(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      dev.leasehold.object.@Nullable Checksum checksum) {
    ObjectInfo stored =
        guard
            .write(
                bucket,
                key,
                condition,
                fence -> origin.completeUpload(bucket, key, uploadId, parts, fence, checksum))
            .info();
    if (stored == null) {
      throw new IllegalStateException("a completed upload stored nothing");
    }
    return stored;
  }

  void abort(String bucket, String key, String uploadId) {
    origin.abortUpload(bucket, key, uploadId);
  }

  /** One page of parts; a page longer than asked for (some origins ignore max-parts) is cut. */
  PartListing listParts(String bucket, String key, String uploadId, int marker, int maxParts) {
    PartListing page = origin.listParts(bucket, key, uploadId, marker, maxParts);
    List<PartInfo> after = new ArrayList<>();
    for (PartInfo p : page.parts()) {
      if (p.partNumber() > marker) {
        after.add(p);
      }
    }
    if (after.size() <= maxParts && after.size() == page.parts().size()) {
      return page;
    }
    boolean truncated = page.truncated() || after.size() > maxParts;
    return new PartListing(after.subList(0, Math.min(maxParts, after.size())), truncated);
  }

  UploadListing listUploads(String bucket, UploadListRequest request) {
    return origin.listUploads(bucket, request);
  }
}
