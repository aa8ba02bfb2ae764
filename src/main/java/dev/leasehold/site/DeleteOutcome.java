package dev.leasehold.site;

import dev.leasehold.error.S3Exception;
import dev.leasehold.object.Deletion;
import org.jspecify.annotations.Nullable;

/**
 * What became of one object of a DeleteObjects: deleted, or the error that stopped it. Immutable.
 *
 * @param versionId the version the request named, or null for the key's latest
 * @param deletion what the delete did, if it succeeded
 * @param error why it failed, if it did
 */
public record DeleteOutcome(
    String key,
    @Nullable String versionId,
    @Nullable Deletion deletion,
    @Nullable S3Exception error) {

  static DeleteOutcome deleted(String key, @Nullable String versionId, Deletion deletion) {
    return new DeleteOutcome(key, versionId, deletion, null);
  }

  public static DeleteOutcome failed(String key, @Nullable String versionId, S3Exception error) {
    return new DeleteOutcome(key, versionId, null, error);
  }
}
