package dev.leasehold.s3;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
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
 * size is the response body's, {@code -} if there was none. Stateless.
 */
final class AccessLog {
  static final Logger LOG = LoggerFactory.getLogger("leasehold.access");
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);

  private AccessLog() {}

  static void write(Exchange exchange, String accessKey, String operation, long nanos) {
    if (!LOG.isInfoEnabled()) {
      return;
    }
    HttpRequest request = exchange.request();
    int status = exchange.status();
    long length = exchange.bodyLength();
    LOG.info(
        "{} - {} [{}] \"{} {} {}\" {} {} \"{}\" \"{}\" {} {}ms {}",
        exchange.remoteHost(),
        accessKey,
        TIME.format(ZonedDateTime.now()),
        request.method().name(),
        request.uri(),
        request.protocolVersion().text(),
        status == 0 ? "-" : Integer.toString(status),
        length == 0 ? "-" : Long.toString(length),
        quoted(request.headers().get(HttpHeaderNames.REFERER)),
        quoted(request.headers().get(HttpHeaderNames.USER_AGENT)),
        operation,
        String.format(Locale.ROOT, "%.3f", nanos / 1e6),
        exchange.requestId());
  }

  private static String quoted(String value) {
    return value == null ? "-" : value.replace("\"", "\\\"");
  }
}
