package dev.leasehold.object;

import java.util.List;

/**
 * A page of a listing of versions: keys in UTF-8 byte order, each key's versions newest first, and
 * the common prefixes rolled up by the delimiter. Immutable.
 *
 * @param truncated whether more follow this page
 */
public record VersionListing(
    List<ObjectVersion> versions, List<String> commonPrefixes, boolean truncated) {
  public VersionListing {
    versions = List.copyOf(versions);
    commonPrefixes = List.copyOf(commonPrefixes);
  }

  /** The last version listed, if it comes after every common prefix of the page, else null. */
  public @org.jspecify.annotations.Nullable ObjectVersion lastVersionIfLast() {
    if (versions.isEmpty()) {
      return null;
    }
    ObjectVersion last = versions.get(versions.size() - 1);
    if (commonPrefixes.isEmpty()) {
      return last;
    }
    String prefix = commonPrefixes.get(commonPrefixes.size() - 1);
    return KeyOrder.compare(last.info().key(), prefix) > 0 ? last : null;
  }
}
