package dev.leasehold.object;

import java.util.List;

/**
 * A page of a bucket listing, keys and common prefixes each in UTF-8 byte order. Immutable.
 *
 * @param objects the keys listed, with their current versions
 * @param commonPrefixes the prefixes rolled up by the delimiter
 * @param truncated whether more keys follow this page
 */
public record Listing(List<ObjectInfo> objects, List<String> commonPrefixes, boolean truncated) {
  public Listing {
    objects = List.copyOf(objects);
    commonPrefixes = List.copyOf(commonPrefixes);
  }

  /** The last key or common prefix of the page, whichever sorts last ("" for an empty page). */
  public String lastItem() {
    String lastKey = objects.isEmpty() ? null : objects.get(objects.size() - 1).key();
    String lastPrefix =
        commonPrefixes.isEmpty() ? null : commonPrefixes.get(commonPrefixes.size() - 1);
    if (lastKey == null) {
      return lastPrefix == null ? "" : lastPrefix;
    }
    if (lastPrefix == null) {
      return lastKey;
    }
    return KeyOrder.compare(lastKey, lastPrefix) > 0 ? lastKey : lastPrefix;
  }
}
