package dev.leasehold.site;

import dev.leasehold.cache.HeldBytes;
import dev.leasehold.cache.HeldFile;
import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * Where the bytes of a read go: the S3 front end (to the client, by {@code sendfile} where it can)
 * or a staging file (for a copy). Confined to the request's thread.
 */
public interface BodySink {
  /**
   * Sends {@code count} bytes of {@code file} from {@code position}. The sink owns {@code file}
   * from here on and closes it when the bytes are sent, or when it fails.
   */
  void send(FileChannel file, long position, long count) throws IOException;

  /**
   * Sends {@code count} bytes from {@code position} of a chunk file the cache keeps open and lent,
   * and owns the hold from here on: it gives it back once the bytes are sent, or when it fails. By
   * default, as a channel of the sink's own ({@link HeldFile#asChannel}: closing it gives the hold
   * back); the front end sends from the shared descriptor itself.
   */
  default void send(HeldFile file, long position, long count) throws IOException {
    send(file.asChannel(), position, count);
  }

  /**
   * Sends bytes the memory tier lent, and owns them from here on: true, and they are given back
   * once sent. A sink that takes files only answers false, and they stay the caller's, who sends
   * the file instead.
   */
  default boolean send(HeldBytes bytes) throws IOException {
    return false;
  }
}
