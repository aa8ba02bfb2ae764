package dev.leasehold.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, byte for byte as the test writes it: for requests no real client
 * would send (truncated bodies, huge headers, raw "..", missing lengths). One request per
 * connection.
 */
public final class RawHttp {
  /** A response: status, headers (lower-case names), body. */
  public record Response(int status, Map<String, String> headers, byte[] body) {
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /** The S3 error code in the body, or null. */
    public String errorCode() {
      String t = text();
      int a = t.indexOf("<Code>");
      int b = t.indexOf("</Code>");
      return a < 0 || b < 0 ? null : t.substring(a + 6, b);
    }
  }

  private RawHttp() {}

  /** Sends {@code head} (request line and headers, CRLF-terminated, without the blank line). */
  public static Response send(URI endpoint, String head, byte[] body) throws IOException {
    return send(endpoint, head, body, false);
  }

  /**
   * Sends a request; with {@code halfClose}, shuts down the sending side after the body (as a
   * client that gave up mid-body would, but still reading the answer).
   */
  public static Response send(URI endpoint, String head, byte[] body, boolean halfClose)
      throws IOException {
    try (Socket socket = new Socket(endpoint.getHost(), endpoint.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write((head + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      if (halfClose) {
        socket.shutdownOutput();
      }
      return read(socket.getInputStream(), head.startsWith("HEAD "));
    }
  }

  /** Reads one response (not to a HEAD) from a connection the caller holds. */
  public static Response read(InputStream in) throws IOException {
    return read(in, false);
  }

  private static Response read(InputStream in, boolean head) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      throw new IOException("connection closed without a response");
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    String line;
    while ((line = line(in)) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      headers.put(
          line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
          line.substring(colon + 1).trim());
    }
    if (status == 100) {
      return read(in, head);
    }
    byte[] body = new byte[0];
    String length = headers.get("content-length");
    if (!head && length != null && status != 304) {
      body = in.readNBytes(Integer.parseInt(length));
    }
    return new Response(status, headers, body);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        break;
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    if (c < 0 && b.size() == 0) {
      return null;
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
