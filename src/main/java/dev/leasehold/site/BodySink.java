package dev.leasehold.site;

import dev.leasehold.cache.HeldBytes;
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
   * Sends bytes the memory tier lent, and owns them from here on: true, and they are given back
   * once sent. A sink that takes files only answers false, and they stay the caller's, who sends
   * the file instead.
   */
  default boolean send(HeldBytes bytes) throws IOException {
    return false;
  }
}
