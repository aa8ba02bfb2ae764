package dev.leasehold.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.object.ObjectInfoJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The peer protocol's messages (docs/protocol.md, Redirects and the peer link), as JSON in one
 * header each way, base64 of its UTF-8 (keys and metadata need not be ASCII):
 *
 * <ul>
 *   <li>a read: {@code {"bucket", "key", "body", "range", "partNumber", "ifMatch", "ifNoneMatch",
 *       "ifModifiedSince", "ifUnmodifiedSince", "ownedOnly"}} (times in epoch millis); its answer
 *       {@code {"info", "offset", "length", "partial", "partsCount"}} with the bytes after, {@code
 *       {"notModified": info}}, or {@code {"notOwner": true}};
 *   <li>the unflushed keys: {@code {"bucket", "prefix"}}; the answer {@code {"count"}}, with a JSON
 *       array of {@code {"key", "info"}} as the body;
 *   <li>any answer may be an S3 error instead: {@code {"error", "message"}}.
 * </ul>
 *
 * <p>Stateless.
 */
final class PeerCodec {
  static final ObjectMapper JSON = new ObjectMapper();

  private PeerCodec() {}

  static String read(PeerRead r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("bucket", r.bucket()).put("key", r.key()).put("body", r.body());
    if (r.ownedOnly()) {
      n.put("ownedOnly", true);
    }
    ObjectInfoJson.putIfSet(n, "range", r.range());
    if (r.partNumber() != null) {
      n.put("partNumber", r.partNumber());
    }
    ObjectInfoJson.putIfSet(n, "ifMatch", r.ifMatch());
    ObjectInfoJson.putIfSet(n, "ifNoneMatch", r.ifNoneMatch());
    if (r.ifModifiedSince() != null) {
      n.put("ifModifiedSince", r.ifModifiedSince().toEpochMilli());
    }
    if (r.ifUnmodifiedSince() != null) {
      n.put("ifUnmodifiedSince", r.ifUnmodifiedSince().toEpochMilli());
    }
    return encode(n);
  }

  static PeerRead read(JsonNode n) throws IOException {
    JsonNode part = n.get("partNumber");
    return new PeerRead(
        required(n, "bucket"),
        required(n, "key"),
        n.path("body").asBoolean(true),
        ObjectInfoJson.text(n, "range"),
        part == null ? null : part.asInt(),
        ObjectInfoJson.text(n, "ifMatch"),
        ObjectInfoJson.text(n, "ifNoneMatch"),
        instant(n, "ifModifiedSince"),
        instant(n, "ifUnmodifiedSince"),
        n.path("ownedOnly").asBoolean(false));
  }

  static String reply(ReadReply reply) {
    ObjectNode n = JSON.createObjectNode();
    switch (reply) {
      case ReadReply.Found f -> {
        n.set("info", ObjectInfoJson.write(f.info()));
        n.put("offset", f.offset()).put("length", f.length()).put("partial", f.partial());
        if (f.partsCount() != null) {
          n.put("partsCount", f.partsCount());
        }
      }
      case ReadReply.NotModified m -> n.set("notModified", ObjectInfoJson.write(m.info()));
      case ReadReply.NotOwner x -> n.put("notOwner", true);
    }
    return encode(n);
  }

  /**
   * The read answer in {@code n}.
   *
   * @throws S3Exception the S3 error the owner answered with
   */
  static ReadReply readReply(JsonNode n) {
    failIfError(n);
    if (n.has("notModified")) {
      return new ReadReply.NotModified(ObjectInfoJson.read(n.get("notModified")));
    }
    if (n.path("notOwner").asBoolean(false)) {
      return new ReadReply.NotOwner();
    }
    return new ReadReply.Found(
        ObjectInfoJson.read(n.get("info")),
        n.get("offset").asLong(),
        n.get("length").asLong(),
        n.get("partial").asBoolean(),
        n.has("partsCount") ? n.get("partsCount").asInt() : null);
  }

  static String unflushedRequest(String bucket, String prefix) {
    return encode(JSON.createObjectNode().put("bucket", bucket).put("prefix", prefix));
  }

  static String count(int count) {
    return encode(JSON.createObjectNode().put("count", count));
  }

  static byte[] unflushed(List<Unflushed> keys) throws IOException {
    ArrayNode out = JSON.createArrayNode();
    for (Unflushed u : keys) {
      ObjectNode n = out.addObject().put("key", u.key());
      if (u.info() != null) {
        n.set("info", ObjectInfoJson.write(u.info()));
      }
    }
    return JSON.writeValueAsBytes(out);
  }

  static List<Unflushed> unflushed(JsonNode keys) {
    List<Unflushed> out = new ArrayList<>();
    for (JsonNode k : keys) {
      JsonNode info = k.get("info");
      out.add(
          new Unflushed(k.get("key").asText(), info == null ? null : ObjectInfoJson.read(info)));
    }
    return out;
  }

  static String error(S3Exception e) {
    return encode(
        JSON.createObjectNode()
            .put("error", e.error().code())
            .put("message", String.valueOf(e.getMessage())));
  }

  /** Throws the S3 error an answer carries, if it carries one. */
  static void failIfError(JsonNode n) {
    if (n.has("error")) {
      S3Error error = S3Error.ofCode(n.get("error").asText()).orElse(S3Error.INTERNAL_ERROR);
      throw error.exception(n.path("message").asText(error.message()));
    }
  }

  static String encode(JsonNode json) {
    return Base64.getEncoder().encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
  }

  static JsonNode decode(String header) throws IOException {
    try {
      JsonNode n = JSON.readTree(Base64.getDecoder().decode(header));
      if (n == null || !n.isObject()) {
        throw new IOException("not a peer message");
      }
      return n;
    } catch (IllegalArgumentException e) {
      throw new IOException("not a peer message", e);
    }
  }

  static String required(JsonNode n, String name) throws IOException {
    String v = ObjectInfoJson.text(n, name);
    if (v == null) {
      throw new IOException("a peer message without " + name);
    }
    return v;
  }

  private static @Nullable Instant instant(JsonNode n, String name) {
    JsonNode v = n.get(name);
    return v == null || v.isNull() ? null : Instant.ofEpochMilli(v.asLong());
  }
}
