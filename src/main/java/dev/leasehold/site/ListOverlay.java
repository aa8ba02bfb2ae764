package dev.leasehold.site;

import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.peer.Unflushed;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Merges one page of the origin's listing with the coordinator's overlay of dirty elements
 * (docs/protocol.md, Listing): a pure function, apart from asking whether a common prefix still
 * holds a key once the overlay's deletes are taken out.
 *
 * <p>The origin's page covers the keys after the marker up to its last item (all keys, if it is not
 * truncated; everything under its last common prefix, if that is the last item). Overlay entries in
 * that range replace or remove the origin's keys, or add keys, or (with a delimiter) add common
 * prefixes; entries past it belong to a later page. More than {@code maxKeys} items are cut to
 * {@code maxKeys}, and the page is then truncated. Stateless.
 */
final class ListOverlay {
  private ListOverlay() {}

  /**
   * @param listing the merged page
   * @param resume where the origin's page ended (the marker for the next page, if this one is
   *     truncated)
   */
  record Merged(Listing listing, String resume) {}

  static Merged merge(
      ListRequest request,
      Listing page,
      List<Unflushed> dirty,
      Predicate<String> prefixStillHolds) {
    String after = request.startAfter();
    String bound = page.truncated() ? page.lastItem() : null;
    boolean boundIsPrefix = bound != null && page.commonPrefixes().contains(bound);
    TreeMap<String, ObjectInfo> objects = new TreeMap<>(KeyOrder.UTF8);
    page.objects().forEach(o -> objects.put(o.key(), o));
    TreeSet<String> prefixes = new TreeSet<>(KeyOrder.UTF8);
    prefixes.addAll(page.commonPrefixes());
    Set<String> putUnder = new HashSet<>();
    Set<String> deletedUnder = new HashSet<>();
    for (Unflushed d : dirty) {
      String key = d.key();
      if (after != null && !after.isEmpty() && KeyOrder.compare(key, after) <= 0) {
        continue;
      }
      if (bound != null
          && KeyOrder.compare(key, bound) > 0
          && !(boundIsPrefix && key.startsWith(bound))) {
        continue; // a later page's
      }
      String cp = commonPrefix(key, request.prefix(), request.delimiter());
      if (cp == null) {
        if (d.info() != null) {
          objects.put(key, d.info());
        } else {
          objects.remove(key);
        }
      } else if (d.info() != null) {
        if (after == null || after.isEmpty() || KeyOrder.compare(cp, after) > 0) {
          prefixes.add(cp);
        }
        putUnder.add(cp);
      } else {
        deletedUnder.add(cp);
      }
    }
    for (String cp : deletedUnder) {
      if (prefixes.contains(cp) && !putUnder.contains(cp) && !prefixStillHolds.test(cp)) {
        prefixes.remove(cp);
      }
    }
    List<ObjectInfo> outObjects = new ArrayList<>();
    List<String> outPrefixes = new ArrayList<>();
    int max = request.maxKeys();
    boolean truncated = page.truncated();
    var keys = objects.values().iterator();
    var cps = prefixes.iterator();
    ObjectInfo nextKey = keys.hasNext() ? keys.next() : null;
    String nextPrefix = cps.hasNext() ? cps.next() : null;
    while (nextKey != null || nextPrefix != null) {
      if (outObjects.size() + outPrefixes.size() >= max) {
        truncated = true;
        break;
      }
      if (nextPrefix == null
          || (nextKey != null && KeyOrder.compare(nextKey.key(), nextPrefix) < 0)) {
        outObjects.add(nextKey);
        nextKey = keys.hasNext() ? keys.next() : null;
      } else {
        outPrefixes.add(nextPrefix);
        nextPrefix = cps.hasNext() ? cps.next() : null;
      }
    }
    String resume = bound == null ? "" : boundIsPrefix ? KeyOrder.pastPrefix(bound) : bound;
    return new Merged(new Listing(outObjects, outPrefixes, truncated), resume);
  }

  /** The common prefix a key rolls up into, or null if it is listed as itself. */
  private static @Nullable String commonPrefix(
      String key, String prefix, @Nullable String delimiter) {
    if (delimiter == null || delimiter.isEmpty()) {
      return null;
    }
    int at = key.indexOf(delimiter, prefix.length());
    return at < 0 ? null : key.substring(0, at + delimiter.length());
  }
}
