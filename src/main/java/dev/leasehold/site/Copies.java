package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.Acl;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectLock;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.ObjectTags;

/**
 * CopyObject and UploadPartCopy: the source is read through the read path (so it is served from the
 * cache, and its conditions are checked against the version read), staged, and written through the
 * write path. Thread-safe.
 */
final class Copies {
  /** S3's largest copy source. */
  static final long MAX_COPY_SIZE = 5L * 1024 * 1024 * 1024;

  private final ReadPath reads;
  private final WritePath writes;
  private final Staging staging;

  Copies(ReadPath reads, WritePath writes, Staging staging) {
    this.reads = reads;
    this.writes = writes;
    this.staging = staging;
  }

  ObjectInfo copy(CopyRequest request) {
    CopySource source = request.source();
    if (source.bucket().equals(request.bucket())
        && source.key().equals(request.key())
        && source.versionId() == null // a copy of an older version over the key restores it
        && !request.replaceMetadata()) {
      throw S3Error.INVALID_REQUEST.exception(
          "This copy request is illegal because it is trying to copy an object to itself without"
              + " changing the object's metadata, storage class, website redirect location or"
              + " encryption attributes.");
    }
    ObjectRead read = read(reads, source);
    if (read.info().size() > MAX_COPY_SIZE) {
      throw S3Error.INVALID_REQUEST.exception(
          "The specified copy source is larger than the maximum allowable size for a copy source: "
              + MAX_COPY_SIZE);
    }
    // The bytes are the source's, so its checksum holds for them (as S3 copies it), unless it is a
    // multipart source's composite: the copy is one part, which that checksum does not describe.
    dev.leasehold.object.Checksum sum = read.info().metadata().checksum();
    if (sum != null && sum.type().equals("COMPOSITE")) {
      sum = null;
    }
    ObjectMetadata metadata =
        request.replaceMetadata()
            ? request.metadata().withChecksum(sum)
            // an ACL or a lock is not copied: the copy has what its request asks for (as in S3)
            : read.info()
                .metadata()
                .withUserEntry(Acl.METADATA_NAME, request.metadata().user().get(Acl.METADATA_NAME))
                .withUserEntry(
                    ObjectLock.METADATA_NAME,
                    request.metadata().user().get(ObjectLock.METADATA_NAME))
                .withChecksum(sum);
    // Tags are copied unless the request replaces them (x-amz-tagging-directive), as in S3.
    ObjectMetadata tagsFrom = request.replaceTags() ? request.metadata() : read.info().metadata();
    metadata =
        metadata.withUserEntry(
            ObjectTags.METADATA_NAME, tagsFrom.user().get(ObjectTags.METADATA_NAME));
    try (StagedFile staged = staging.receive(read)) {
      return writes.store(request.bucket(), request.key(), staged, metadata, request.condition());
    }
  }

  /** Reads a copy source: its latest version, or the version it names (with no lease). */
  static ObjectRead read(ReadPath reads, CopySource source) {
    String versionId = source.versionId();
    return versionId == null
        ? reads.read(sourceRead(source), true)
        : reads.readVersion(sourceRead(source), versionId, true);
  }

  /**
   * The read of a copy source. Its conditions fail with 412 where a GET would answer 304, as S3
   * does for {@code x-amz-copy-source-if-none-match} and {@code
   * x-amz-copy-source-if-modified-since}.
   */
  static GetRequest sourceRead(CopySource source) {
    return new GetRequest(
        source.bucket(), source.key(), source.range(), null, source.preconditions().forCopy());
  }
}
