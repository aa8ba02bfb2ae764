package dev.leasehold.object;

import java.util.List;

/**
 * A page of multipart uploads in progress, by key and then initiation. Immutable.
 *
 * @param uploads the uploads listed
 * @param commonPrefixes keys rolled up by the delimiter
 * @param truncated whether more follow
 */
public record UploadListing(
    List<UploadInfo> uploads, List<String> commonPrefixes, boolean truncated) {
  public UploadListing {
    uploads = List.copyOf(uploads);
    commonPrefixes = List.copyOf(commonPrefixes);
  }
}
