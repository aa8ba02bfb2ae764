package dev.leasehold.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.leasehold.error.S3Exception;
import dev.leasehold.tls.Caller;
import dev.leasehold.tls.NodeCertificates;
import dev.leasehold.tls.Role;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site's peer port: where the other sites of its namespace call it ({@code POST /peer/v1/read},
 * {@code POST /peer/v1/unflushed}, {@code POST /peer/v1/site}), apart from the operators' admin
 * port so the two can be firewalled apart. With the namespace's certificates it serves HTTPS that
 * requires a client certificate of the namespace's authority, and answers only nodes of the
 * namespace (a client certificate, or none, is refused in the handshake or with 403); without them
 * it serves plain HTTP, for loopback, and answers only callers presenting the namespace's peer
 * secret ({@code Authorization: Bearer}); anyone else gets 401. Requests and answers are described
 * in one header each ({@link PeerClient#REQUEST_HEADER}, {@link PeerClient#REPLY_HEADER}, {@link
 * PeerCodec}); the bytes follow.
 *
 * <p>Thread-safe: each call runs on its own virtual thread, and the {@link PeerService} it calls is
 * thread-safe; the service is set once, by {@link #start}, before the first call is accepted.
 * Started once, closed once.
 */
public final class PeerServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeerServer.class);

  private final HttpServer server;
  private final boolean secure;
  private final Predicate<String> isSite;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private volatile @Nullable PeerService service;
  private volatile Supplier<byte[]> snapshot = () -> new byte[0];

  /**
   * Binds {@code bind} (port 0 picks one), so its address can be registered before the site that
   * answers is built; {@link #start} begins answering.
   */
  public PeerServer(InetSocketAddress bind) throws IOException {
    this(bind, null, site -> false);
  }

  /**
   * Binds {@code bind}; with {@code certificates}, serves HTTPS presenting them and requiring a
   * client certificate of the namespace's authority, and answers only a node whose name {@code
   * isSite} (a site of the namespace with a live session).
   */
  public PeerServer(
      InetSocketAddress bind, @Nullable NodeCertificates certificates, Predicate<String> isSite)
      throws IOException {
    this.secure = certificates != null;
    this.isSite = isSite;
    if (certificates == null) {
      this.server = HttpServer.create(bind, 64);
    } else {
      HttpsServer https = HttpsServer.create(bind, 64);
      https.setHttpsConfigurator(
          new HttpsConfigurator(certificates.sslContext()) {
            @Override
            public void configure(HttpsParameters params) {
              SSLParameters p = getSSLContext().getDefaultSSLParameters();
              p.setNeedClientAuth(true);
              params.setSSLParameters(p);
            }
          });
      this.server = https;
    }
    server.setExecutor(executor);
    server.createContext("/peer/v1/", this::handle);
  }

  /**
   * Answers calls with {@code answering}, and {@code /peer/v1/site} (this site's figures for
   * another site's {@code /api/sites}) with {@code snapshot}, from now on.
   */
  public PeerServer start(PeerService answering, Supplier<byte[]> snapshot) {
    this.snapshot = snapshot;
    this.service = answering;
    server.start();
    return this;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.stop(0);
      executor.shutdownNow();
    }
  }

  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      PeerService service = this.service;
      if (service == null) {
        ex.sendResponseHeaders(503, -1);
        return;
      }
      if (secure) {
        Optional<Caller> caller =
            ex instanceof HttpsExchange https ? Caller.of(https.getSSLSession()) : Optional.empty();
        if (caller.isEmpty()
            || caller.get().role() != Role.NODE
            || !isSite.test(caller.get().name())) {
          LOG.warn(
              "peer port: refused {} (only sites of the namespace with a session may call)",
              caller.map(Caller::toString).orElse("a caller without a namespace certificate"));
          ex.sendResponseHeaders(403, -1);
          return;
        }
      } else if (!authorized(service.secret(), ex.getRequestHeaders().getFirst("Authorization"))) {
        ex.sendResponseHeaders(401, -1);
        return;
      }
      String header = ex.getRequestHeaders().getFirst(PeerClient.REQUEST_HEADER);
      if (header == null || !"POST".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(400, -1);
        return;
      }
      JsonNode request;
      try {
        request = PeerCodec.decode(header);
      } catch (IOException e) {
        ex.sendResponseHeaders(400, -1);
        return;
      }
      switch (ex.getRequestURI().getPath()) {
        case "/peer/v1/read" -> read(ex, service, request);
        case "/peer/v1/unflushed" -> unflushed(ex, service, request);
        case "/peer/v1/site" -> {
          byte[] body = snapshot.get();
          answer(ex, PeerCodec.count(body.length), body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        }
        default -> ex.sendResponseHeaders(404, -1);
      }
    }
  }

  private static boolean authorized(String expected, @Nullable String auth) {
    return !expected.isEmpty()
        && auth != null
        && MessageDigest.isEqual(
            auth.getBytes(StandardCharsets.UTF_8),
            ("Bearer " + expected).getBytes(StandardCharsets.UTF_8));
  }

  private static void read(HttpExchange ex, PeerService service, JsonNode q) throws IOException {
    PeerRead request;
    try {
      request = PeerCodec.read(q);
    } catch (IOException e) {
      ex.sendResponseHeaders(400, -1);
      return;
    }
    PeerService.Served served;
    try {
      served = service.read(request);
    } catch (S3Exception e) {
      answer(ex, PeerCodec.error(e), -1);
      return;
    }
    long length = served.reply() instanceof ReadReply.Found f && request.body() ? f.length() : 0;
    answer(ex, PeerCodec.reply(served.reply()), length == 0 ? -1 : length);
    if (length > 0) {
      try (OutputStream out = ex.getResponseBody();
          WritableByteChannel to = Channels.newChannel(out)) {
        served.body().writeTo(to);
      } catch (IOException e) {
        LOG.debug(
            "a redirected read of {}/{} ended early: {}",
            request.bucket(),
            request.key(),
            e.toString());
        throw e;
      }
    }
  }

  private static void unflushed(HttpExchange ex, PeerService service, JsonNode q)
      throws IOException {
    String bucket;
    String prefix;
    try {
      bucket = PeerCodec.required(q, "bucket");
      prefix = PeerCodec.required(q, "prefix");
    } catch (IOException e) {
      ex.sendResponseHeaders(400, -1);
      return;
    }
    List<Unflushed> held;
    try {
      held = service.unflushed(bucket, prefix);
    } catch (S3Exception e) {
      answer(ex, PeerCodec.error(e), -1);
      return;
    }
    byte[] body = PeerCodec.unflushed(held);
    answer(ex, PeerCodec.count(held.size()), body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static void answer(HttpExchange ex, String reply, long length) throws IOException {
    ex.getResponseHeaders().set(PeerClient.REPLY_HEADER, reply);
    ex.sendResponseHeaders(200, length);
  }
}
