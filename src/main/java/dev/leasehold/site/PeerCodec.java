package dev.leasehold.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The site-to-site protocol's messages as JSON (one header each way, see {@link
 * dev.leasehold.peer.PeerClient}): a read as {@code {"bucket", "key", "body", "range",
 * "partNumber", "ifMatch", "ifNoneMatch", "ifModifiedSince", "ifUnmodifiedSince"}} (times in epoch
 * millis), and its answer as {@code {"info", "offset", "length", "partial", "partsCount"}}, {@code
 * {"notModified": info}} or {@code {"error", "message"}}. Stateless.
 */
final class PeerCodec {
  static final ObjectMapper JSON = new ObjectMapper();

  private PeerCodec() {}

  static String read(GetRequest r, boolean body) {
    ObjectNode n = JSON.createObjectNode();
    n.put("bucket", r.bucket()).put("key", r.key()).put("body", body);
    if (r.range() != null) {
      n.put("range", r.range().toString());
    }
    if (r.partNumber() != null) {
      n.put("partNumber", r.partNumber());
    }
    Preconditions p = r.preconditions();
    putIfSet(n, "ifMatch", p.ifMatch());
    putIfSet(n, "ifNoneMatch", p.ifNoneMatch());
    if (p.ifModifiedSince() != null) {
      n.put("ifModifiedSince", p.ifModifiedSince().toEpochMilli());
    }
    if (p.ifUnmodifiedSince() != null) {
      n.put("ifUnmodifiedSince", p.ifUnmodifiedSince().toEpochMilli());
    }
    return n.toString();
  }

  static GetRequest getRequest(JsonNode n) {
    JsonNode part = n.get("partNumber");
    return new GetRequest(
        n.get("bucket").asText(),
        n.get("key").asText(),
        ByteRange.parse(text(n, "range")),
        part == null ? null : part.asInt(),
        new Preconditions(
            text(n, "ifMatch"),
            text(n, "ifNoneMatch"),
            instant(n, "ifModifiedSince"),
            instant(n, "ifUnmodifiedSince")));
  }

  /** A header's worth of JSON: base64 of its UTF-8 (keys and metadata need not be ASCII). */
  static String encode(String json) {
    return java.util.Base64.getEncoder()
        .encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  static JsonNode decode(String header) throws IOException {
    try {
      return JSON.readTree(java.util.Base64.getDecoder().decode(header));
    } catch (IllegalArgumentException e) {
      throw new IOException("not a peer message", e);
    }
  }

  static void putIfSet(ObjectNode n, String name, @Nullable String value) {
    if (value != null) {
      n.put(name, value);
    }
  }

  static @Nullable String text(JsonNode n, String name) {
    JsonNode v = n.get(name);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static @Nullable Instant instant(JsonNode n, String name) {
    JsonNode v = n.get(name);
    return v == null || v.isNull() ? null : Instant.ofEpochMilli(v.asLong());
  }
}
