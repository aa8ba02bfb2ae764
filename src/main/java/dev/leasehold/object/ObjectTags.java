package dev.leasehold.object;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An object's tags (Amazon S3 User Guide, "Categorizing your storage using tags"): at most ten,
 * keys of 1 to 128 characters and values of at most 256, in key order. Immutable.
 *
 * <p>Kept with the version, among its metadata under {@link #METADATA_NAME}, in the form the {@code
 * x-amz-tagging} header takes: URL-encoded {@code key=value} pairs joined by {@code &}.
 */
public record ObjectTags(SortedMap<String, String> tags) {
  /** S3's limit on the tags of one object. */
  public static final int MAX_TAGS = 10;

  /** The name under which a version's tags are kept among its metadata. */
  public static final String METADATA_NAME = "leasehold-tags";

  public static final ObjectTags NONE = new ObjectTags(new TreeMap<>());

  public ObjectTags {
    tags = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(tags));
  }

  /** The query form, as {@code x-amz-tagging} carries tags. */
  public String encoded() {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : tags.entrySet()) {
      if (!out.isEmpty()) {
        out.append('&');
      }
      out.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8).replace("+", "%20"))
          .append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return out.toString();
  }

  /**
   * Reads the query form ({@code a=b&c}, a key without {@code =} having an empty value); throws
   * IllegalArgumentException naming what is wrong (a key twice, too long, too many tags).
   */
  public static ObjectTags decode(String query) {
    TreeMap<String, String> tags = new TreeMap<>();
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (tags.put(key, value) != null) {
        throw new IllegalArgumentException("Cannot provide multiple Tags with the same key");
      }
    }
    return checked(tags);
  }

  /** {@code tags} if S3 would take them; IllegalArgumentException naming what is wrong. */
  public static ObjectTags checked(Map<String, String> tags) {
    if (tags.size() > MAX_TAGS) {
      throw new IllegalArgumentException("Object tags cannot be greater than " + MAX_TAGS);
    }
    for (Map.Entry<String, String> e : tags.entrySet()) {
      String k = e.getKey();
      if (k.isEmpty() || k.codePointCount(0, k.length()) > 128) {
        throw new IllegalArgumentException("The TagKey you have provided is invalid");
      }
      if (e.getValue().codePointCount(0, e.getValue().length()) > 256) {
        throw new IllegalArgumentException("The TagValue you have provided is invalid");
      }
    }
    return new ObjectTags(new TreeMap<>(tags));
  }

  /** The tags kept in a version's metadata, or {@link #NONE}. */
  public static ObjectTags of(ObjectMetadata metadata) {
    String kept = metadata.user().get(METADATA_NAME);
    return kept == null ? NONE : decode(kept);
  }

  /** {@code metadata} keeping {@code tags} (none kept as no entry at all). */
  public static ObjectMetadata into(ObjectMetadata metadata, ObjectTags tags) {
    return metadata.withUserEntry(METADATA_NAME, tags.tags().isEmpty() ? null : tags.encoded());
  }
}
