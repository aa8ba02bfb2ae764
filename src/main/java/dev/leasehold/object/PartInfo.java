package dev.leasehold.object;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One uploaded part of a multipart upload. Immutable.
 *
 * @param checksum the {@code x-amz-checksum-*} it was uploaded with and verified against, where the
 *     origin keeps it; null if none
 */
public record PartInfo(
    int partNumber, String etag, long size, Instant lastModified, @Nullable Checksum checksum) {

  /** A part without a checksum. */
  public PartInfo(int partNumber, String etag, long size, Instant lastModified) {
    this(partNumber, etag, size, lastModified, null);
  }
}
