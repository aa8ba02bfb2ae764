package dev.leasehold.object;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The metadata stored with an object: the standard headers S3 keeps, the user metadata ({@code
 * x-amz-meta-*}, names lower-cased and without the prefix), and the checksum its writer sent, if
 * any.
 *
 * <p>Immutable.
 */
public record ObjectMetadata(
    @Nullable String contentType,
    @Nullable String contentEncoding,
    @Nullable String contentDisposition,
    @Nullable String contentLanguage,
    @Nullable String cacheControl,
    @Nullable String expires,
    Map<String, String> user,
    @Nullable Checksum checksum) {

  public static final ObjectMetadata EMPTY =
      new ObjectMetadata(null, null, null, null, null, null, Map.of(), null);

  public ObjectMetadata {
    user = Collections.unmodifiableMap(new TreeMap<>(user));
  }

  /** Metadata without a checksum. */
  public ObjectMetadata(
      @Nullable String contentType,
      @Nullable String contentEncoding,
      @Nullable String contentDisposition,
      @Nullable String contentLanguage,
      @Nullable String cacheControl,
      @Nullable String expires,
      Map<String, String> user) {
    this(
        contentType,
        contentEncoding,
        contentDisposition,
        contentLanguage,
        cacheControl,
        expires,
        user,
        null);
  }

  /** The same metadata with {@code checksum} (null: none). */
  public ObjectMetadata withChecksum(@Nullable Checksum checksum) {
    return new ObjectMetadata(
        contentType,
        contentEncoding,
        contentDisposition,
        contentLanguage,
        cacheControl,
        expires,
        user,
        checksum);
  }

  /**
   * The prefix of the user metadata names Leasehold keeps for itself (an object's ACL, {@link
   * Acl#METADATA_NAME}); clients may not set them and never see them.
   */
  public static final String RESERVED_PREFIX = "leasehold-";

  /** The same metadata with user entry {@code name} set to {@code value} (null: removed). */
  public ObjectMetadata withUserEntry(String name, @Nullable String value) {
    Map<String, String> changed = new TreeMap<>(user);
    if (value == null) {
      changed.remove(name);
    } else {
      changed.put(name, value);
    }
    return new ObjectMetadata(
        contentType,
        contentEncoding,
        contentDisposition,
        contentLanguage,
        cacheControl,
        expires,
        changed,
        checksum);
  }

  /**
   * The bytes S3 counts against its 2 KB limit: names and values of the user metadata the client
   * wrote (not the entries Leasehold keeps).
   */
  public int userMetadataBytes() {
    int total = 0;
    for (Map.Entry<String, String> e : user.entrySet()) {
      if (!e.getKey().startsWith(RESERVED_PREFIX)) {
        total += utf8Length(e.getKey()) + utf8Length(e.getValue());
      }
    }
    return total;
  }

  private static int utf8Length(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }
}
