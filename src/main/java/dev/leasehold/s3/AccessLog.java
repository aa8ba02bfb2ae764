package dev.leasehold.s3;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: one line per request on the {@code leasehold.access} logger, in the Combined Log
 * Format that log tools read, followed by the S3 operation, the time taken and the request id:
 *
 * <pre>
 * 127.0.0.1 - AKIA... [24/Nov/2026:10:32:28 +0000] "GET /photos/cat.jpg HTTP/1.1" 200 4096 "-"
 *   "aws-sdk-java/2.57.8" GetObject 1.234ms 7F2A9C...
 * </pre>
 *
 * (one line). The user is the request's access key, or {@code -} if it was not authenticated; the
 * size is the response body's, {@code -} if there was none. A presigned URL's signature and
 * credential are written as {@code REDACTED}: the log must not hand out working URLs. Stateless.
 */
final class AccessLog {
  static final Logger LOG = LoggerFactory.getLogger("leasehold.access");
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);

  /** The line's time, in the machine's zone (as web servers write it); formatted once a second. */
  private static final PerSecond NOW =
      new PerSecond(
          second -> TIME.format(Instant.ofEpochSecond(second).atZone(ZoneId.systemDefault())));

  private AccessLog() {}

  static void write(Exchange exchange, String accessKey, String operation, long nanos) {
    if (!LOG.isInfoEnabled()) {
      return;
    }
    LOG.info(line(exchange, accessKey, operation, nanos, NOW.now()));
  }

  /** The line, built in one pass (a request's logging formats nothing else). */
  static String line(
      Exchange exchange, String accessKey, String operation, long nanos, String time) {
    HttpRequest request = exchange.request();
    int status = exchange.status();
    long length = exchange.bodyLength();
    StringBuilder b = new StringBuilder(256 + request.uri().length());
    b.append(exchange.remoteHost()).append(" - ").append(accessKey);
    b.append(" [").append(time).append("] \"");
    b.append(request.method().name()).append(' ');
    uri(b, request.uri());
    b.append(' ');
    b.append(request.protocolVersion().text()).append("\" ");
    if (status == 0) {
      b.append('-');
    } else {
      b.append(status);
    }
    b.append(' ');
    if (length == 0) {
      b.append('-');
    } else {
      b.append(length);
    }
    b.append(" \"");
    quoted(b, request.headers().get(HttpHeaderNames.REFERER));
    b.append("\" \"");
    quoted(b, request.headers().get(HttpHeaderNames.USER_AGENT));
    b.append("\" ").append(operation).append(' ');
    millis(b, nanos);
    b.append("ms ").append(exchange.requestId());
    return b.toString();
  }

  /** The query parameters whose values the log leaves out. */
  private static final String[] SECRET_PARAMS = {"X-Amz-Signature=", "X-Amz-Credential="};

  /** Appends {@code uri} with the values of {@link #SECRET_PARAMS} redacted. */
  static void uri(StringBuilder b, String uri) {
    int query = uri.indexOf('?');
    if (query < 0 || uri.indexOf("X-Amz-", query) < 0) {
      b.append(uri); // the common case: nothing to redact, nothing copied twice
      return;
    }
    b.append(uri, 0, query);
    int at = query;
    while (at < uri.length()) {
      int end = uri.indexOf('&', at + 1);
      if (end < 0) {
        end = uri.length();
      }
      String param = uri.substring(at + 1, end); // after the '?' or '&'
      b.append(uri.charAt(at));
      String secret = null;
      for (String name : SECRET_PARAMS) {
        if (param.startsWith(name)) {
          secret = name;
        }
      }
      if (secret == null) {
        b.append(param);
      } else {
        b.append(param, 0, secret.length()).append("REDACTED");
      }
      at = end;
    }
  }

  /** {@code nanos} as milliseconds with three decimals (rounded to the microsecond). */
  static void millis(StringBuilder b, long nanos) {
    long micros = (Math.max(0, nanos) + 500) / 1000;
    b.append(micros / 1000).append('.');
    long frac = micros % 1000;
    if (frac < 100) {
      b.append('0');
    }
    if (frac < 10) {
      b.append('0');
    }
    b.append(frac);
  }

  private static void quoted(StringBuilder b, @Nullable String value) {
    if (value == null) {
      b.append('-');
      return;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"') {
        b.append('\\');
      }
      b.append(c);
    }
  }
}
