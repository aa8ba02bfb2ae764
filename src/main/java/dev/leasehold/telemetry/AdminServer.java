package dev.leasehold.telemetry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The admin endpoint: {@code GET /health/live} (the process answers), {@code GET /health/ready}
 * (the site can serve; 503 with the reason in JSON otherwise) and {@code GET /metrics} (every
 * meter, in the Prometheus text format).
 *
 * <p>Thread-safe: each request runs on its own virtual thread; the health supplier must be
 * thread-safe.
 */
public final class AdminServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  public AdminServer(InetSocketAddress bind, Supplier<Health> health, Metrics metrics)
      throws IOException {
    this.server = HttpServer.create(bind, 64);
    server.setExecutor(executor);
    server.createContext(
        "/metrics",
        ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    server.createContext("/health/live", ex -> json(ex, 200, "{\"status\":\"live\"}"));
    server.createContext(
        "/health/ready",
        ex -> {
          Health h = health.get();
          if (h.ready()) {
            json(ex, 200, "{\"status\":\"ready\"}");
          } else {
            json(ex, 503, "{\"status\":\"not ready\",\"reason\":\"" + escape(h.reason()) + "\"}");
          }
        });
    server.createContext("/", ex -> json(ex, 404, "{\"error\":\"not found\"}"));
  }

  public AdminServer start() {
    server.start();
    return this;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void json(HttpExchange ex, int status, String body) throws IOException {
    send(ex, status, "application/json", body);
  }

  private static void send(HttpExchange ex, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }
}
