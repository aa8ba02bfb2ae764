package dev.leasehold.peer;

import dev.leasehold.error.S3Exception;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * What a site answers other sites of its namespace, as the {@link PeerServer} calls it: the site
 * implements it, and the server owns the wire.
 */
public interface PeerService {
  /** A served read: the answer, and what writes its bytes (nothing for a HEAD or a 304). */
  record Served(ReadReply reply, Body body) {}

  /** Writes the bytes of a served read, once. */
  @FunctionalInterface
  interface Body {
    void writeTo(WritableByteChannel out) throws IOException;
  }

  /**
   * The namespace's peer secret every caller presents; empty while the site has none (every call is
   * refused).
   */
  String secret();

  /**
   * Serves a read of an object this site owns, as if its own client had asked, with no further
   * redirect.
   *
   * @throws S3Exception the S3 error the client is to get
   */
  Served read(PeerRead request);

  /**
   * What this site holds unflushed under {@code bucket/prefix}, in key order.
   *
   * @throws S3Exception if it cannot answer for it now
   */
  List<Unflushed> unflushed(String bucket, String prefix);
}
