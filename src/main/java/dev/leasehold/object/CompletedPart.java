package dev.leasehold.object;

import org.jspecify.annotations.Nullable;

/**
 * A part named in a CompleteMultipartUpload request: its number, the ETag it was given, and the
 * checksum the client says it was uploaded with, if it says one. Immutable.
 */
public record CompletedPart(int partNumber, String etag, @Nullable Checksum checksum) {

  public CompletedPart(int partNumber, String etag) {
    this(partNumber, etag, null);
  }
}
