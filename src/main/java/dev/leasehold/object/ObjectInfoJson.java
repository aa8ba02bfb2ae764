package dev.leasehold.object;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * One {@link ObjectInfo} as a JSON object: {@code {"key", "size", "etag", "lastModified" (epoch
 * millis), "partsCount", "versionId" if any, "metadata": {"contentType", ..., "user": {...},
 * "checksum": "CRC32:base64" if any}}}. The write-back journal and the site-to-site protocol both
 * carry versions this way. Stateless.
 */
public final class ObjectInfoJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ObjectInfoJson() {}

  /** Writes {@code info}'s fields into {@code n}. */
  public static ObjectNode write(ObjectInfo info, ObjectNode n) {
    n.put("key", info.key())
        .put("etag", info.etag())
        .put("size", info.size())
        .put("lastModified", info.lastModified().toEpochMilli())
        .put("partsCount", info.partsCount());
    putIfSet(n, "versionId", info.versionId());
    ObjectMetadata m = info.metadata();
    ObjectNode meta = n.putObject("metadata");
    putIfSet(meta, "contentType", m.contentType());
    putIfSet(meta, "contentEncoding", m.contentEncoding());
    putIfSet(meta, "contentDisposition", m.contentDisposition());
    putIfSet(meta, "contentLanguage", m.contentLanguage());
    putIfSet(meta, "cacheControl", m.cacheControl());
    putIfSet(meta, "expires", m.expires());
    ObjectNode user = meta.putObject("user");
    m.user().forEach(user::put);
    if (m.checksum() != null) {
      meta.put("checksum", m.checksum().encoded());
    }
    return n;
  }

  public static ObjectNode write(ObjectInfo info) {
    return write(info, JSON.createObjectNode());
  }

  /** Reads what {@link #write} wrote; fails on a missing field. */
  public static ObjectInfo read(JsonNode n) {
    JsonNode meta = n.get("metadata");
    Map<String, String> user = new TreeMap<>();
    meta.get("user").properties().forEach(p -> user.put(p.getKey(), p.getValue().asText()));
    String checksum = text(meta, "checksum");
    return new ObjectInfo(
        n.get("key").asText(),
        n.get("size").asLong(),
        n.get("etag").asText(),
        Instant.ofEpochMilli(n.get("lastModified").asLong()),
        new ObjectMetadata(
            text(meta, "contentType"),
            text(meta, "contentEncoding"),
            text(meta, "contentDisposition"),
            text(meta, "contentLanguage"),
            text(meta, "cacheControl"),
            text(meta, "expires"),
            user,
            checksum == null ? null : Checksum.decode(checksum)),
        n.get("partsCount").asInt(),
        text(n, "versionId"));
  }

  /** Sets {@code name} to {@code value}, unless it is null. */
  public static void putIfSet(ObjectNode n, String name, @Nullable String value) {
    if (value != null) {
      n.put(name, value);
    }
  }

  /** The text of field {@code name}, or null if it is absent or null. */
  public static @Nullable String text(JsonNode n, String name) {
    JsonNode v = n.get(name);
    return v == null || v.isNull() ? null : v.asText();
  }
}
