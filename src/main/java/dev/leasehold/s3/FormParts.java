package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A {@code multipart/form-data} body (RFC 7578) read part by part as it arrives, as a browser
 * upload (POST Object) sends it: each part's name, file name and type, then its content, small
 * fields whole and the file as a stream that ends at the next boundary, so that a large file is
 * never held in memory.
 *
 * <p>The body is read through one window of bytes; a part's content is what precedes the next
 * {@code CRLF--boundary}. Confined to the request's thread.
 */
final class FormParts {
  private static final int WINDOW = 64 * 1024;
  private static final int MAX_HEADER_LINE = 8 * 1024;
  private static final int MAX_HEADER_LINES = 16;

  /** One part's headers. */
  record Part(String name, @Nullable String filename, @Nullable String contentType) {}

  private final InputStream in;
  private final byte[] delimiter;
  private final byte[] window;
  private int start;
  private int end;
  private boolean eof;

  /** Whether the current part's content has been read to its delimiter. */
  private boolean partEnded = true;

  private boolean formEnded;

  /** Whether the first boundary (and any preamble before it) has been read. */
  private boolean started;

  FormParts(InputStream in, String boundary) {
    this.in = in;
    this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    this.window = new byte[WINDOW + delimiter.length];
    // The first boundary has no CRLF before it: lend it one, so every boundary reads alike.
    window[0] = '\r';
    window[1] = '\n';
    end = 2;
  }

  /** The boundary of a {@code multipart/form-data} Content-Type, or null if it is not one. */
  static @Nullable String boundary(@Nullable String contentType) {
    if (contentType == null
        || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      return null;
    }
    for (String param : contentType.split(";")) {
      String p = param.trim();
      if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        String b = p.substring("boundary=".length());
        if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
          b = b.substring(1, b.length() - 1);
        }
        return b.isEmpty() || b.length() > 70 ? null : b;
      }
    }
    return null;
  }

  /** The next part's headers (skipping what is left of the current one), or null at the end. */
  @Nullable Part next() throws IOException {
    while (!partEnded) {
      skip();
    }
    if (formEnded) {
      return null;
    }
    if (!started) {
      // Before the first part: skip any preamble up to the first boundary.
      started = true;
      partEnded = false;
      while (!partEnded) {
        skip();
      }
    }
    fill(2);
    if (end - start >= 2 && window[start] == '-' && window[start + 1] == '-') {
      formEnded = true;
      return null;
    }
    String name = null;
    String filename = null;
    String type = null;
    String line = line(); // the rest of the boundary line
    if (!line.isBlank()) {
      throw malformed();
    }
    int lines = 0;
    while (!(line = line()).isEmpty()) {
      if (++lines > MAX_HEADER_LINES) {
        throw malformed();
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw malformed();
      }
      String header = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (header.equals("content-disposition")) {
        name = parameter(value, "name");
        filename = parameter(value, "filename");
      } else if (header.equals("content-type")) {
        type = value;
      }
    }
    if (name == null) {
      throw malformed();
    }
    partEnded = false;
    return new Part(name, filename, type);
  }

  /** The current part's content, whole; {@code tooLarge} past {@code limit} bytes. */
  byte[] value(int limit, S3Error tooLarge) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    int n;
    while ((n = read(buf, 0, buf.length)) >= 0) {
      if (out.size() + n > limit) {
        throw tooLarge.exception();
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /** The current part's content as a stream that ends where the part does. */
  InputStream content() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return FormParts.this.read(b, off, len);
      }
    };
  }

  /** Reads the current part's content; -1 once its delimiter is reached (and consumed). */
  private int read(byte[] b, int off, int len) throws IOException {
    if (partEnded) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    fill(delimiter.length);
    int at = indexOf(delimiter, start, end);
    if (at == start) {
      start += delimiter.length;
      partEnded = true;
      return -1;
    }
    int safe = at >= 0 ? at : Math.max(start, end - (delimiter.length - 1));
    if (safe == start) {
      if (eof) {
        throw S3Error.INCOMPLETE_BODY.exception("The form ended inside a part.");
      }
      fill(end - start + 1);
      return read(b, off, len);
    }
    int n = Math.min(len, safe - start);
    System.arraycopy(window, start, b, off, n);
    start += n;
    return n;
  }

  private void skip() throws IOException {
    byte[] buf = new byte[8192];
    while (read(buf, 0, buf.length) >= 0) {
      // discarded
    }
  }

  /** One header line (CRLF-ended), without its end. */
  private String line() throws IOException {
    StringBuilder line = new StringBuilder();
    while (true) {
      fill(2);
      if (end - start < 2) {
        throw malformed();
      }
      if (window[start] == '\r' && window[start + 1] == '\n') {
        start += 2;
        return line.toString();
      }
      line.append((char) (window[start++] & 0xff));
      if (line.length() > MAX_HEADER_LINE) {
        throw malformed();
      }
    }
  }

  /** Makes at least {@code wanted} bytes available from {@code start}, unless the body ends. */
  private void fill(int wanted) throws IOException {
    if (end - start >= wanted || eof) {
      return;
    }
    System.arraycopy(window, start, window, 0, end - start);
    end -= start;
    start = 0;
    while (end < wanted && !eof) {
      int n = in.read(window, end, window.length - end);
      if (n < 0) {
        eof = true;
      } else {
        end += n;
      }
    }
  }

  private int indexOf(byte[] needle, int from, int to) {
    outer:
    for (int i = from; i <= to - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (window[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** A parameter of a Content-Disposition value, such as {@code name="key"}; null if absent. */
  private static @Nullable String parameter(String header, String name) {
    for (String part : header.split(";")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase(name)) {
        String v = p.substring(eq + 1).trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
          v = v.substring(1, v.length() - 1);
        }
        // Browsers send UTF-8 file names as bytes; the header was read as ISO-8859-1.
        return new String(v.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static dev.leasehold.error.S3Exception malformed() {
    return S3Error.MALFORMED_POST_REQUEST.exception();
  }
}
