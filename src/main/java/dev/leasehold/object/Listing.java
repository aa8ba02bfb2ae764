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
}
