package dev.leasehold.site;

import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;

/**
 * A CopyObject. Immutable.
 *
 * @param replaceMetadata whether the copy takes {@code metadata} (REPLACE) or the source's (COPY)
 */
public record CopyRequest(
    CopySource source,
    String bucket,
    String key,
    boolean replaceMetadata,
    ObjectMetadata metadata,
    WriteCondition condition) {

  /** The same copy from {@code from}. */
  CopyRequest withSource(CopySource from) {
    return new CopyRequest(from, bucket, key, replaceMetadata, metadata, condition);
  }
}
