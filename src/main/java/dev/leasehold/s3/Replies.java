package dev.leasehold.s3;

import dev.leasehold.error.S3Exception;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;

/** The shapes of S3 responses: XML documents, empty answers, errors. Stateless; thread-safe. */
final class Replies {
  private static final byte[] NOTHING = new byte[0];

  private Replies() {}

  static void xml(Exchange exchange, Xml xml) throws IOException {
    xml(exchange, HttpResponseStatus.OK, new DefaultHttpHeaders(), xml);
  }

  static void xml(Exchange exchange, HttpResponseStatus status, HttpHeaders headers, Xml xml)
      throws IOException {
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/xml");
    exchange.respond(status, headers, xml.bytes());
  }

  /** An XML document already written, such as a stored configuration. */
  static void xml(Exchange exchange, HttpResponseStatus status, HttpHeaders headers, byte[] xml)
      throws IOException {
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/xml");
    exchange.respond(status, headers, xml);
  }

  static void empty(Exchange exchange, HttpResponseStatus status, HttpHeaders headers)
      throws IOException {
    exchange.respond(status, headers, NOTHING);
  }

  static void empty(Exchange exchange, HttpResponseStatus status) throws IOException {
    empty(exchange, status, new DefaultHttpHeaders());
  }

  /** An error: the XML document, or for HEAD just the status (HEAD responses have no body). */
  static void error(Exchange exchange, String resource, S3Exception e) throws IOException {
    HttpHeaders headers = ErrorResponses.headers();
    HttpResponseStatus status = HttpResponseStatus.valueOf(e.error().status());
    if (exchange.request().method().equals(HttpMethod.HEAD)) {
      exchange.respond(status, headers, NOTHING);
    } else {
      exchange.respond(status, headers, ErrorResponses.body(e, resource, exchange.requestId()));
    }
  }
}
