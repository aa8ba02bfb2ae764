package dev.leasehold.site;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.WriteLease;
import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ObjectInfoJson;
import dev.leasehold.peer.PeerClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's side of a redirect: another site's request for an object, served here as if a client
 * of this site had made it, with no further redirect (so requests never go round), under this
 * site's own leases. Mounted at {@code /peer/v1/} on the admin port; every call presents the
 * namespace's peer secret. The answer is described in {@link PeerClient#REPLY_HEADER} ({@link
 * PeerCodec}), the bytes follow.
 *
 * <p>Thread-safe; each call runs on the admin server's (virtual) thread.
 */
public final class PeerEndpoint implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(PeerEndpoint.class);

  private final ReadPath reads;
  private final BucketBindings buckets;
  private final Leases leases;

  PeerEndpoint(ReadPath reads, BucketBindings buckets, Leases leases) {
    this.reads = reads;
    this.buckets = buckets;
    this.leases = leases;
  }

  /**
   * What this site holds unflushed under a prefix, in key order: every owned key whose latest
   * version is in its journal (written under an element's grant or a prefix lease).
   */
  static List<Unflushed> unflushed(Leases leases, String bucket, String prefix) {
    if (!leases.reclaimed()) {
      // Back from a restart, it has not yet taken its journal back: its dirty keys are unknown.
      throw S3Error.SERVICE_UNAVAILABLE.exception(
          "Site "
              + leases.site()
              + ", which holds unflushed writes under this prefix, is taking them back after a"
              + " restart; the listing is unavailable until it has.");
    }
    List<Unflushed> out = new ArrayList<>();
    for (WriteLease l : leases.ownedUnder(bucket, prefix)) {
      if (l.dirty()) {
        out.add(new Unflushed(l.key(), l.info()));
      }
    }
    out.sort((a, b) -> KeyOrder.compare(a.key(), b.key()));
    return out;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String expected = leases.peerSecret();
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (expected.isEmpty()
          || auth == null
          || !MessageDigest.isEqual(
              auth.getBytes(StandardCharsets.UTF_8),
              ("Bearer " + expected).getBytes(StandardCharsets.UTF_8))) {
        ex.sendResponseHeaders(401, -1);
        return;
      }
      String header = ex.getRequestHeaders().getFirst(PeerClient.REQUEST_HEADER);
      String path = ex.getRequestURI().getPath();
      if (header == null) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      switch (path) {
        case "/peer/v1/read" -> read(ex, PeerCodec.decode(header));
        case "/peer/v1/unflushed" -> unflushed(ex, PeerCodec.decode(header));
        default -> ex.sendResponseHeaders(404, -1);
      }
    }
  }

  /** The unflushed keys under a prefix, as a JSON array in the body. */
  private void unflushed(HttpExchange ex, JsonNode q) throws IOException {
    String bucket = q.get("bucket").asText();
    String prefix = q.get("prefix").asText();
    List<Unflushed> held;
    try {
      held = unflushed(leases, bucket, prefix);
    } catch (S3Exception e) {
      answer(ex, error(PeerCodec.JSON.createObjectNode(), e), -1);
      return;
    }
    com.fasterxml.jackson.databind.node.ArrayNode keys = PeerCodec.JSON.createArrayNode();
    for (Unflushed u : held) {
      ObjectNode n = keys.addObject().put("key", u.key());
      if (u.info() != null) {
        n.set("info", ObjectInfoJson.write(u.info()));
      }
    }
    byte[] body = PeerCodec.JSON.writeValueAsBytes(keys);
    answer(ex, PeerCodec.JSON.createObjectNode().put("count", keys.size()), body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** A peer call's S3 error, as {@link PeerReads} reads it back. */
  private static ObjectNode error(ObjectNode reply, S3Exception e) {
    return reply.put("error", e.error().code()).put("message", String.valueOf(e.getMessage()));
  }

  private void read(HttpExchange ex, JsonNode q) throws IOException {
    GetRequest request = PeerCodec.getRequest(q);
    boolean body = q.path("body").asBoolean(true);
    ObjectNode reply = PeerCodec.JSON.createObjectNode();
    ObjectRead read;
    try {
      buckets.check(request.bucket());
      read = reads.read(request, body, false);
    } catch (NotModifiedException e) {
      reply.set("notModified", ObjectInfoJson.write(e.version()));
      answer(ex, reply, -1);
      return;
    } catch (S3Exception e) {
      answer(ex, error(reply, e), -1);
      return;
    }
    reply.set("info", ObjectInfoJson.write(read.info()));
    reply.put("offset", read.span().offset()).put("length", read.span().length());
    reply.put("partial", read.partial());
    if (read.partsCount() != null) {
      reply.put("partsCount", read.partsCount());
    }
    long length = body ? read.span().length() : 0;
    answer(ex, reply, length == 0 ? -1 : length);
    if (length > 0) {
      try (OutputStream out = ex.getResponseBody();
          WritableByteChannel to = Channels.newChannel(out)) {
        read.transferTo((file, position, count) -> copy(file, position, count, to));
      } catch (IOException e) {
        LOG.debug(
            "a redirected read of {}/{} ended early: {}",
            request.bucket(),
            request.key(),
            e.toString());
        throw e;
      }
    }
  }

  private static void copy(FileChannel file, long position, long count, WritableByteChannel to)
      throws IOException {
    try (file) {
      long done = 0;
      while (done < count) {
        long n = file.transferTo(position + done, count - done, to);
        if (n <= 0) {
          throw new IOException("a chunk ended early");
        }
        done += n;
      }
    }
  }

  private static void answer(HttpExchange ex, ObjectNode reply, long length) throws IOException {
    ex.getResponseHeaders().set(PeerClient.REPLY_HEADER, PeerCodec.encode(reply.toString()));
    ex.sendResponseHeaders(200, length);
  }
}
