package dev.leasehold.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 GET over one socket, its body read into a reused 1 MiB direct buffer and dropped:
 * the single client stream of {@code hit-large} and {@code miss}, the same for every server, and
 * cheaper per byte than curl. Also the raw socket copy that bounds them. Not thread-safe.
 */
final class StreamClient {
  private static final int TIMEOUT_MS = 120_000;

  private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);

  /**
   * A finished download: the bytes of body read, the time to its last byte and to the end of its
   * headers, and the longest wait for bytes within its body (where a stream stalled).
   */
  record Download(long bytes, long nanos, long headerNanos, long longestGapNanos) {
    double bytesPerSecond() {
      return bytes / (nanos / 1e9);
    }

    double seconds() {
      return nanos / 1e9;
    }
  }

  /** GETs {@code url} (with its query, such as a presigned one); fails unless 200 and whole. */
  Download get(URI url) throws IOException {
    return get(url, null);
  }

  /** GETs bytes {@code range} ("first-last") of {@code url}; fails unless 206 and whole. */
  Download get(URI url, String range) throws IOException {
    long start = System.nanoTime();
    try (SocketChannel ch =
        SocketChannel.open(new InetSocketAddress(url.getHost(), url.getPort()))) {
      ch.socket().setSoTimeout(TIMEOUT_MS);
      String target = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
      String request =
          "GET "
              + target
              + " HTTP/1.1\r\nHost: "
              + url.getHost()
              + ":"
              + url.getPort()
              + (range == null ? "" : "\r\nRange: bytes=" + range)
              + "\r\nConnection: close\r\n\r\n";
      ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
      buffer.clear();
      StringBuilder head = new StringBuilder();
      int headEnd;
      while ((headEnd = head.indexOf("\r\n\r\n")) < 0) {
        int n = ch.read(buffer);
        if (n < 0) {
          throw new IOException("connection closed in the response headers: " + head);
        }
        buffer.flip();
        while (buffer.hasRemaining()) {
          head.append((char) (buffer.get() & 0xff));
        }
        buffer.clear();
      }
      String headers = head.substring(0, headEnd);
      if (!headers.startsWith(range == null ? "HTTP/1.1 200" : "HTTP/1.1 206")) {
        throw new IOException("GET " + url.getPath() + ": " + head);
      }
      long headerEnd = System.nanoTime();
      long length = contentLength(headers);
      long body = head.length() - (headEnd + 4);
      long last = headerEnd;
      long longestGap = 0;
      while (body < length) {
        buffer.clear();
        int n = ch.read(buffer);
        if (n < 0) {
          throw new IOException("body cut short at " + body + " of " + length + " bytes");
        }
        long now = System.nanoTime();
        longestGap = Math.max(longestGap, now - last);
        last = now;
        body += n;
      }
      return new Download(body, last - start, headerEnd - start, longestGap);
    }
  }

  private static long contentLength(String headers) throws IOException {
    for (String line : headers.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Long.parseLong(line.substring(15).trim());
      }
    }
    throw new IOException("no Content-Length: " + headers);
  }

  /**
   * The loopback limit as a program can reach it: one thread writes {@code bytes} from a direct
   * buffer to a socket, this one reads them as {@link #get} does.
   */
  Download rawCopy(long bytes) throws IOException, InterruptedException {
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress("127.0.0.1", 0));
      Thread writer =
          Thread.ofPlatform()
              .start(() -> {
                ByteBuffer out = ByteBuffer.allocateDirect(1 << 20);
                try (SocketChannel ch = server.accept()) {
                  long left = bytes;
                  while (left > 0) {
                    out.clear().limit((int) Math.min(out.capacity(), left));
                    left -= ch.write(out);
                  }
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      long start = System.nanoTime();
      long read = 0;
      try (SocketChannel ch = SocketChannel.open(server.getLocalAddress())) {
        while (read < bytes) {
          buffer.clear();
          int n = ch.read(buffer);
          if (n < 0) {
            break;
          }
          read += n;
        }
      }
      long nanos = System.nanoTime() - start;
      writer.join(TIMEOUT_MS);
      if (read != bytes) {
        throw new IOException("raw copy moved " + read + " of " + bytes + " bytes");
      }
      return new Download(read, nanos, 0, 0);
    }
  }
}
