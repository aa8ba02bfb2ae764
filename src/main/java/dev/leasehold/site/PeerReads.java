package dev.leasehold.site;

import com.fasterxml.jackson.databind.JsonNode;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.lease.DirtyOwner;
import dev.leasehold.lease.OwnerElsewhereException;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectInfoJson;
import dev.leasehold.peer.PeerClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The asking side of a redirect (docs/protocol.md, Leases: redirect): a read of an object another
 * site owns, proxied to that site's {@link PeerEndpoint}. What the owner answers is what the client
 * gets — the version, the span, 206, 304, 412, 404, every S3 error — and the bytes are relayed, not
 * cached (this site holds no lease on them). Thread-safe.
 */
final class PeerReads {
  /** The bytes are relayed in pieces of this size, each through a file the sink sends and drops. */
  private static final int PIECE = 1 << 20;

  private final PeerClient client;
  private final Supplier<String> secret;
  private final Path spool;

  PeerReads(PeerClient client, Supplier<String> secret, Path spool) {
    this.client = client;
    this.secret = secret;
    this.spool = spool;
  }

  ObjectRead read(OwnerElsewhereException owner, GetRequest request, boolean body) {
    PeerClient.Response response;
    JsonNode reply;
    try {
      response =
          client.call(
              owner.address(),
              secret.get(),
              "read",
              PeerCodec.encode(PeerCodec.read(request, body)),
              null);
      reply = PeerCodec.decode(response.reply());
    } catch (IOException e) {
      throw S3Error.SERVICE_UNAVAILABLE
          .exception(
              "Site "
                  + owner.owner()
                  + ", which holds the latest version of the object, could not be reached.")
          .causedBy(e);
    }
    boolean relay = false;
    try {
      if (reply.has("error")) {
        throw remoteError(reply);
      }
      if (reply.has("notModified")) {
        throw new NotModifiedException(ObjectInfoJson.read(reply.get("notModified")));
      }
      ObjectInfo info = ObjectInfoJson.read(reply.get("info"));
      ByteSpan span = new ByteSpan(reply.get("offset").asLong(), reply.get("length").asLong());
      Integer parts = reply.has("partsCount") ? reply.get("partsCount").asInt() : null;
      relay = body && span.length() > 0;
      return new ObjectRead(
          info,
          span,
          reply.get("partial").asBoolean(),
          parts,
          relay ? new Relay(response.body()) : (s, sink) -> {});
    } finally {
      if (!relay) {
        closeQuietly(response.body());
      }
    }
  }

  /** The S3 error another site answered a peer call with. */
  private static S3Exception remoteError(JsonNode reply) {
    S3Error error = S3Error.ofCode(reply.get("error").asText()).orElse(S3Error.INTERNAL_ERROR);
    return error.exception(reply.path("message").asText(error.message()));
  }

  /** What another site holds unflushed under a prefix ({@link PeerEndpoint#unflushed}). */
  List<Unflushed> unflushed(DirtyOwner owner, String bucket, String prefix) {
    String request =
        PeerCodec.JSON.createObjectNode().put("bucket", bucket).put("prefix", prefix).toString();
    try {
      PeerClient.Response response =
          client.call(owner.address(), secret.get(), "unflushed", PeerCodec.encode(request), null);
      JsonNode reply = PeerCodec.decode(response.reply());
      if (reply.has("error")) {
        response.body().close();
        throw remoteError(reply);
      }
      JsonNode keys;
      try (InputStream in = response.body()) {
        keys = PeerCodec.JSON.readTree(in);
      }
      List<Unflushed> out = new ArrayList<>();
      for (JsonNode k : keys) {
        JsonNode info = k.get("info");
        out.add(
            new Unflushed(k.get("key").asText(), info == null ? null : ObjectInfoJson.read(info)));
      }
      return out;
    } catch (IOException e) {
      throw S3Error.SERVICE_UNAVAILABLE
          .exception(
              "Site "
                  + owner.site()
                  + ", which holds unflushed writes under this prefix, could not be reached.")
          .causedBy(e);
    }
  }

  /** The owner's bytes, passed on piece by piece. */
  private final class Relay implements SpanSource {
    private final InputStream in;

    Relay(InputStream in) {
      this.in = in;
    }

    @Override
    public void send(ByteSpan span, BodySink sink) throws IOException {
      try (in) {
        byte[] buffer = new byte[64 * 1024];
        long left = span.length();
        while (left > 0) {
          Path file = Files.createTempFile(spool, "peer-", ".part");
          FileChannel ch =
              FileChannel.open(
                  file,
                  StandardOpenOption.READ,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.DELETE_ON_CLOSE);
          long piece = 0;
          try {
            while (piece < Math.min(PIECE, left)) {
              int n =
                  in.read(buffer, 0, (int) Math.min(buffer.length, Math.min(PIECE, left) - piece));
              if (n < 0) {
                throw new IOException(
                    "the owner's answer ended " + (left - piece) + " bytes early");
              }
              ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
              while (b.hasRemaining()) {
                ch.write(b);
              }
              piece += n;
            }
          } catch (IOException e) {
            ch.close();
            throw e;
          }
          sink.send(ch, 0, piece); // the sink closes it, which deletes the file
          left -= piece;
        }
      }
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // nothing more to read
    }
  }
}
