package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.lease.DirtyOwner;
import dev.leasehold.lease.OwnerElsewhereException;
import dev.leasehold.peer.PeerClient;
import dev.leasehold.peer.PeerRead;
import dev.leasehold.peer.ReadReply;
import dev.leasehold.peer.Unflushed;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The asking side of a redirect (docs/protocol.md, Redirects and the peer link): a read of an
 * object another site owns, proxied to that site's peer port. What the owner answers is what the
 * client gets — the version, the span, 206, 304, 412, 404, every S3 error — and the bytes are
 * relayed, not cached (this site holds no lease on them). Thread-safe.
 */
final class PeerReads {
  /** The bytes are relayed in pieces of this size, each through a file the sink sends and drops. */
  private static final int PIECE = 1 << 20;

  private final PeerClient client;
  private final Path spool;

  PeerReads(PeerClient client, Path spool) {
    this.client = client;
    this.spool = spool;
  }

  ObjectRead read(OwnerElsewhereException owner, GetRequest request, boolean body) {
    PeerClient.Fetched fetched;
    try {
      fetched = client.read(owner.address(), ask(request, body, false));
    } catch (IOException e) {
      throw S3Error.SERVICE_UNAVAILABLE
          .exception(
              "Site "
                  + owner.owner()
                  + ", which holds the latest version of the object, could not be reached.")
          .causedBy(e);
    }
    ObjectRead read = relay(fetched, body);
    if (read == null) {
      throw S3Error.INTERNAL_ERROR.exception(
          "Site "
              + owner.owner()
              + " answered a redirected read as if it had been asked directly.");
    }
    return read;
  }

  /**
   * The read asked straight of the site a redirect named earlier, with no call to the coordinator:
   * answered only if that site still owns the object (docs/protocol.md, Redirects and the peer
   * link). Null if it does not, or could not be reached: the caller asks the coordinator.
   */
  @Nullable ObjectRead readIfOwner(
      OwnerElsewhereException owner, GetRequest request, boolean body) {
    PeerClient.Fetched fetched;
    try {
      fetched = client.read(owner.address(), ask(request, body, true));
    } catch (IOException e) {
      return null;
    }
    return relay(fetched, body);
  }

  private static PeerRead ask(GetRequest request, boolean body, boolean ownedOnly) {
    Preconditions p = request.preconditions();
    return new PeerRead(
        request.bucket(),
        request.key(),
        body,
        request.range() == null ? null : request.range().toString(),
        request.partNumber(),
        p.ifMatch(),
        p.ifNoneMatch(),
        p.ifModifiedSince(),
        p.ifUnmodifiedSince(),
        ownedOnly);
  }

  /** The owner's answer, relayed; null if it said it does not own the object. */
  private @Nullable ObjectRead relay(PeerClient.Fetched fetched, boolean body) {
    boolean relay = false;
    try {
      return switch (fetched.reply()) {
        case ReadReply.NotModified m -> throw new NotModifiedException(m.info());
        case ReadReply.NotOwner x -> null;
        case ReadReply.Found f -> {
          relay = body && f.length() > 0;
          yield new ObjectRead(
              f.info(),
              new ByteSpan(f.offset(), f.length()),
              f.partial(),
              f.partsCount(),
              relay ? new Relay(fetched.body()) : (s, sink) -> {});
        }
      };
    } finally {
      if (!relay) {
        closeQuietly(fetched.body());
      }
    }
  }

  /** What another site holds unflushed under a prefix ({@link PeerAnswers#unflushed}). */
  List<Unflushed> unflushed(DirtyOwner owner, String bucket, String prefix) {
    try {
      return client.unflushed(owner.address(), bucket, prefix);
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
