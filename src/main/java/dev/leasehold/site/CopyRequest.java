package dev.leasehold.site;

import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;

/**
 * A CopyObject. Immutable.
 *
 * @param replaceMetadata whether the copy takes {@code metadata} (REPLACE) or the source's (COPY)
 * @param replaceTags whether the copy takes the tags in {@code metadata} (REPLACE) or the source's
 *     (COPY, the default)
 */
public record CopyRequest(
    CopySource source,
    String bucket,
    String key,
    boolean replaceMetadata,
    boolean replaceTags,
    ObjectMetadata metadata,
    WriteCondition condition) {

  /** The same copy from {@code from}. */
  CopyRequest withSource(CopySource from) {
    return new CopyRequest(from, bucket, key, replaceMetadata, replaceTags, metadata, condition);
  }
}
