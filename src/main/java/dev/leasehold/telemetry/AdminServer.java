package dev.leasehold.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint: {@code GET /health/live} (the process answers), {@code GET /health/ready}
 * (the site can serve; 503 with the reason in JSON otherwise), {@code GET /metrics} (every meter,
 * in the Prometheus text format), {@code GET /api/site} (this site's figures for the dashboard, as
 * JSON), {@code GET /api/sites} (every site's, gathered from their admin endpoints) and {@code GET
 * /}, the live dashboard, with its charting library under {@code /assets/}; and the admin API under
 * {@code /admin/v1/} ({@link AdminApi}).
 *
 * <p>Thread-safe: each request runs on its own virtual thread; the health supplier must be
 * thread-safe.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

  private final HttpServer server;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";

  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Supplier<Map<String, Object>> snapshot;
  private final Snapshots remote;

  /** Asks another site of the namespace for its snapshot, over the namespace's own link. */
  @FunctionalInterface
  public interface Snapshots {
    /**
     * The snapshot the site at {@code address} sent, at most {@code limit} bytes of JSON.
     *
     * @throws IOException if it did not answer, or sent more
     */
    byte[] fetch(String address, int limit) throws IOException;
  }

  /**
   * @param tls with the namespace's certificates, the TLS context the endpoint serves HTTPS with
   *     (the site's own certificate; callers need not present one); null for plain HTTP
   * @param site this site's name
   * @param sites every site of the namespace with a live session, by name, with its peer port (from
   *     the coordinator)
   * @param remote how another site's snapshot is asked for (its peer port: mutual TLS of the
   *     namespace)
   * @param adminToken the bearer token the admin API ({@link AdminApi}) takes
   * @param actions what the admin API does (asked for at each call: it may be wired after the
   *     server binds its port)
   */
  public AdminServer(
      InetSocketAddress bind,
      @Nullable SSLContext tls,
      String site,
      Supplier<Health> health,
      Metrics metrics,
      Supplier<Map<String, String>> sites,
      Snapshots remote,
      String adminToken,
      Supplier<AdminActions> actions)
      throws IOException {
    if (tls == null) {
      this.server = HttpServer.create(bind, 64);
    } else {
      HttpsServer https = HttpsServer.create(bind, 64);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      this.server = https;
    }
    server.setExecutor(executor);
    server.createContext("/admin/v1/", new AdminApi(adminToken, actions, executor)::handle);
    this.snapshot = () -> SiteSnapshot.of(site, health.get(), metrics.registry());
    this.remote = remote;
    server.createContext("/api/site", ex -> sendJson(ex, 200, snapshot.get()));
    server.createContext(
        "/api/sites", ex -> sendJson(ex, 200, everySite(site, snapshot, sites.get())));
    server.createContext("/assets/", AdminServer::asset);
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
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "not ready");
            body.put("reason", h.reason());
            sendJson(ex, 503, body);
          }
        });
    server.createContext(
        "/",
        ex -> {
          if (ex.getRequestURI().getPath().equals("/")) {
            resource(ex, "dev/leasehold/telemetry/dashboard.html", "text/html; charset=utf-8");
          } else {
            json(ex, 404, "{\"error\":\"not found\"}");
          }
        });
  }

  /**
   * Every site's snapshot: this one's from its own meters, the others' from their peer ports (in
   * parallel, two seconds at most each); a site that does not answer is listed as unreachable.
   */
  private List<Map<String, Object>> everySite(
      String self, Supplier<Map<String, Object>> own, Map<String, String> sites) {
    Map<String, Future<Map<String, Object>>> asked = new TreeMap<>();
    asked.put(self, CompletableFuture.completedFuture(own.get()));
    for (Map.Entry<String, String> s : sites.entrySet()) {
      if (!s.getKey().equals(self) && !s.getValue().isEmpty()) {
        asked.put(s.getKey(), executor.submit(() -> remote(s.getKey(), s.getValue())));
      }
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map.Entry<String, Future<Map<String, Object>>> a : asked.entrySet()) {
      try {
        out.add(a.getValue().get(2, TimeUnit.SECONDS));
      } catch (ExecutionException | TimeoutException e) {
        Map<String, Object> down = new LinkedHashMap<>();
        down.put("site", a.getKey());
        down.put("ready", false);
        down.put("reachable", false);
        down.put("reason", "it did not answer with its snapshot");
        out.add(down);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return out;
  }

  /** The largest answer read from another site's {@code /api/site}. */
  private static final int MAX_SNAPSHOT = 64 * 1024;

  /**
   * Site {@code name}'s snapshot from its peer port, checked to be one ({@link
   * SiteSnapshot#checked}): the address is the one it registered ({@code http(s)://host:port}, the
   * coordinator checks), the link is the namespace's (mutual TLS with certificates), and only the
   * fields of a snapshot are passed on.
   */
  private Map<String, Object> remote(String name, String address) throws IOException {
    byte[] body = remote.fetch(address, MAX_SNAPSHOT);
    try {
      return SiteSnapshot.checked(name, JSON.readValue(body, Map.class));
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn(
          "site {} at {} answered something other than its snapshot: {}",
          name,
          address,
          e.getMessage());
      throw new IOException("not a site snapshot", e);
    }
  }

  /** This site's snapshot as JSON, which the other sites ask for ({@code /api/sites}). */
  public byte[] snapshotJson() {
    try {
      return JSON.writeValueAsBytes(snapshot.get());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** {@code /assets/uplot.js} and {@code /assets/uplot.css}: the charting library's WebJar. */
  private static void asset(HttpExchange ex) throws IOException {
    switch (ex.getRequestURI().getPath()) {
      case "/assets/uplot.js" ->
          resource(ex, UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8");
      case "/assets/uplot.css" -> resource(ex, UPLOT + "uPlot.min.css", "text/css; charset=utf-8");
      default -> json(ex, 404, "{\"error\":\"not found\"}");
    }
  }

  private static void resource(HttpExchange ex, String name, String contentType)
      throws IOException {
    try (InputStream in = AdminServer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        json(ex, 404, "{\"error\":\"not found\"}");
        return;
      }
      ex.getResponseHeaders().set("Cache-Control", "no-cache");
      send(ex, 200, contentType, in.readAllBytes());
    }
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
    send(ex, status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends {@code body} as JSON (the admin API's answers too). */
  static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    send(ex, status, "application/json", JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] bytes)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
