package dev.leasehold.origin;

import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectVersion;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of a directory-origin listing: walks the bucket's directories in key order, descending
 * only into subtrees that can hold keys of the page (matching the prefix, after {@code startAfter},
 * not already rolled up into a common prefix).
 *
 * <p>Key order from directories: a directory named by segment {@code s} under key prefix {@code P}
 * holds the object {@code P+s} itself and the keys {@code P+s+"/"...} below it. Those are two runs
 * in the listing, and another sibling's keys may fall between them ({@code P+"b!x"} sorts between
 * {@code P+"b"} and {@code P+"b/..."}), so each directory contributes two items, sorted by {@code
 * P+s} and {@code P+s+"/"}.
 *
 * <p>Common prefixes follow S3: a key containing the delimiter after the prefix rolls up into the
 * prefix ending at that delimiter; a common prefix that does not sort after {@code startAfter} is
 * not listed (so resuming after a common prefix never lists it again).
 *
 * <p>A walk of versions ({@link #versions}) lists every version of each key, newest first, and
 * resumes inside the key-marker's versions after the version-id marker.
 *
 * <p>Single use; confined to the thread that calls {@link #run} or {@link #runVersions}.
 */
final class DirectoryWalk {
  private record Item(String sortKey, boolean subtree, Path dir) {}

  private static final Comparator<Item> ORDER = Comparator.comparing(Item::sortKey, KeyOrder.UTF8);

  private final String prefix;
  private final @Nullable String delimiter;
  private final @Nullable String startAfter;
  private final @Nullable String versionIdMarker;
  private final int maxKeys;
  private final List<ObjectInfo> objects = new ArrayList<>();
  private final @Nullable List<ObjectVersion> versions;
  private final List<String> commonPrefixes = new ArrayList<>();
  private @Nullable String lastPrefix;
  private boolean truncated;

  DirectoryWalk(ListRequest request) {
    this(
        request.prefix(),
        request.delimiter(),
        request.startAfter(),
        null,
        request.maxKeys(),
        false);
  }

  private DirectoryWalk(
      String prefix,
      @Nullable String delimiter,
      @Nullable String startAfter,
      @Nullable String versionIdMarker,
      int maxKeys,
      boolean versions) {
    this.prefix = prefix;
    this.delimiter = delimiter == null || delimiter.isEmpty() ? null : delimiter;
    this.startAfter = startAfter == null || startAfter.isEmpty() ? null : startAfter;
    this.versionIdMarker =
        this.startAfter == null || versionIdMarker == null || versionIdMarker.isEmpty()
            ? null
            : versionIdMarker;
    this.maxKeys = maxKeys;
    this.versions = versions ? new ArrayList<>() : null;
  }

  /** A walk of a page of versions. */
  static DirectoryWalk versions(VersionListRequest request) {
    return new DirectoryWalk(
        request.prefix(),
        request.delimiter(),
        request.keyMarker(),
        request.versionIdMarker(),
        request.maxKeys(),
        true);
  }

  VersionListing runVersions(Path bucketDir) throws IOException {
    if (maxKeys > 0) {
      visit(bucketDir, "");
    }
    return new VersionListing(
        java.util.Objects.requireNonNull(versions), commonPrefixes, truncated);
  }

  Listing run(Path bucketDir) throws IOException {
    if (maxKeys > 0) {
      visit(bucketDir, "");
    }
    return new Listing(objects, commonPrefixes, truncated);
  }

  private void visit(Path dir, String keyPrefix) throws IOException {
    List<Item> items = new ArrayList<>();
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        if (child.getFileName().toString().startsWith(".")) {
          continue;
        }
        String key;
        try {
          key = keyPrefix + KeyPaths.decode(child);
        } catch (NoSuchFileException | NotDirectoryException gone) {
          continue;
        }
        items.add(new Item(key, false, child));
        items.add(new Item(key + "/", true, child));
      }
    } catch (NoSuchFileException | NotDirectoryException gone) {
      return;
    }
    items.sort(ORDER);
    for (Item item : items) {
      if (truncated) {
        return;
      }
      if (item.subtree()) {
        if (worthVisiting(item.sortKey())) {
          visit(item.dir(), item.sortKey());
        }
      } else {
        consider(item.sortKey(), item.dir());
      }
    }
  }

  /** Whether any key starting with {@code range} can still be listed. */
  private boolean worthVisiting(String range) {
    if (!range.startsWith(prefix) && !prefix.startsWith(range)) {
      return false;
    }
    if (startAfter != null
        && KeyOrder.compare(range, startAfter) < 0
        && !startAfter.startsWith(range)) {
      return false; // every key under range sorts before startAfter
    }
    return lastPrefix == null || !range.startsWith(lastPrefix);
  }

  private void consider(String key, Path dir) throws IOException {
    // Resuming inside the marker's versions, the marker key itself is listed again (its later
    // ones).
    boolean resumed = versionIdMarker != null && key.equals(startAfter);
    if (!key.startsWith(prefix)
        || (startAfter != null && KeyOrder.compare(key, startAfter) <= 0 && !resumed)) {
      return;
    }
    ObjectRecord record = ObjectRecord.read(dir);
    if (record == null || (versions == null && record.deleteMarker())) {
      return;
    }
    if (delimiter != null) {
      int at = key.indexOf(delimiter, prefix.length());
      if (at >= 0) {
        String common = key.substring(0, at + delimiter.length());
        if (common.equals(lastPrefix)) {
          return;
        }
        lastPrefix = common;
        if (startAfter == null || KeyOrder.compare(common, startAfter) > 0) {
          if (full()) {
            return;
          }
          commonPrefixes.add(common);
        }
        return;
      }
    }
    if (versions != null) {
      addVersions(record, resumed);
      return;
    }
    if (full()) {
      return;
    }
    objects.add(record.info());
  }

  private void addVersions(ObjectRecord record, boolean resumed) {
    List<ObjectVersion> all = java.util.Objects.requireNonNull(versions);
    boolean listing = !resumed;
    boolean latest = true;
    for (ObjectRecord v : record.versions()) {
      if (listing) {
        if (full()) {
          return;
        }
        all.add(new ObjectVersion(v.info(), latest, v.deleteMarker()));
      } else if (v.named(java.util.Objects.requireNonNull(versionIdMarker))) {
        listing = true; // the page before ended on this one
      }
      latest = false;
    }
  }

  /** Whether the page is full; if so, marks it truncated, since one more entry was found. */
  private boolean full() {
    int listed = objects.size() + (versions == null ? 0 : versions.size());
    if (listed + commonPrefixes.size() >= maxKeys) {
      truncated = true;
      return true;
    }
    return false;
  }
}
