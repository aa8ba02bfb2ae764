package dev.leasehold.testkit;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * An OTLP/HTTP trace receiver on loopback, as a collector would be: it takes {@code POST
 * /v1/traces} (protobuf) and keeps every span. Thread-safe.
 */
public final class OtlpReceiver implements AutoCloseable {
  private final HttpServer server;
  private final List<Span> spans = new ArrayList<>();

  public OtlpReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext(
        "/v1/traces",
        ex -> {
          try (InputStream in = ex.getRequestBody()) {
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(in);
            synchronized (spans) {
              for (ResourceSpans r : request.getResourceSpansList()) {
                for (ScopeSpans s : r.getScopeSpansList()) {
                  spans.addAll(s.getSpansList());
                }
              }
            }
          }
          ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.start();
  }

  /** The endpoint to configure ({@code otlp-endpoint}). */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Every span received so far. */
  public List<Span> spans() {
    synchronized (spans) {
      return List.copyOf(spans);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
