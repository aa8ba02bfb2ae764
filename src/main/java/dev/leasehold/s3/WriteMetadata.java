package dev.leasehold.s3;

import dev.leasehold.object.ObjectMetadata;

/**
 * The metadata an object write (PutObject, CopyObject, CreateMultipartUpload, POST Object) stores:
 * its headers' ({@link ObjectHeaders#metadata}), with the ACL, the Object Lock and the tags they
 * ask for, each checked as S3 checks it. Stateless beyond its parts; thread-safe.
 */
final class WriteMetadata {
  private final AclOperations acls;
  private final ObjectLockOperations locks;

  WriteMetadata(AclOperations acls, ObjectLockOperations locks) {
    this.acls = acls;
    this.locks = locks;
  }

  ObjectMetadata of(S3Request request, String bucket) {
    ObjectMetadata metadata = ObjectHeaders.metadata(request);
    metadata = acls.withRequested(request, bucket, metadata);
    metadata = locks.withRequested(request, bucket, metadata);
    return TagOperations.withRequested(request, metadata);
  }
}
