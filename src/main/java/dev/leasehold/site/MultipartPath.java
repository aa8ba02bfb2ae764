package dev.leasehold.site;

import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartListing;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.Origin;

/**
 * Multipart uploads, written through to the origin's own multipart upload: parts are staged and
 * verified like any write body, then stored at the origin; completing is the write that makes the
 * new version visible. Thread-safe.
 */
final class MultipartPath {
  private final Staging staging;
  private final Origin origin;
  private final ReadPath reads;

  MultipartPath(Staging staging, Origin origin, ReadPath reads) {
    this.staging = staging;
    this.origin = origin;
    this.reads = reads;
  }

  String create(String bucket, String key, ObjectMetadata metadata) {
    return origin.createUpload(bucket, key, metadata);
  }

  PartInfo uploadPart(String bucket, String key, String uploadId, int partNumber, Upload body) {
    try (StagedFile staged = staging.receive(body)) {
      return origin.uploadPart(bucket, key, uploadId, partNumber, staged);
    }
  }

  PartInfo uploadPartCopy(
      String bucket, String key, String uploadId, int partNumber, CopySource source) {
    ObjectRead read = reads.read(Copies.sourceRead(source), true);
    try (StagedFile staged = staging.receive(read)) {
      return origin.uploadPart(bucket, key, uploadId, partNumber, staged);
    }
  }

  ObjectInfo complete(
      String bucket,
      String key,
      String uploadId,
      java.util.List<CompletedPart> parts,
      WriteCondition condition) {
    return origin.completeUpload(bucket, key, uploadId, parts, condition);
  }

  void abort(String bucket, String key, String uploadId) {
    origin.abortUpload(bucket, key, uploadId);
  }

  PartListing listParts(String bucket, String key, String uploadId, int marker, int maxParts) {
    return origin.listParts(bucket, key, uploadId, marker, maxParts);
  }

  UploadListing listUploads(String bucket, UploadListRequest request) {
    return origin.listUploads(bucket, request);
  }
}
