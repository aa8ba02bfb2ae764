package dev.leasehold.peer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.leasehold.error.S3Exception;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Calls other sites' {@link PeerServer}s ({@code <address>/peer/v1/<operation>}): over HTTPS
 * presenting this site's certificate and trusting only the namespace's authority ({@link #secure}),
 * or, on loopback, over HTTP presenting the namespace's peer secret ({@link #withSecret}).
 *
 * <p>Thread-safe: one HTTP client, reused; the secret is read at each call.
 */
public final class PeerClient {
  public static final String REQUEST_HEADER = "X-Leasehold-Request";
  public static final String REPLY_HEADER = "X-Leasehold-Reply";

  /** A read's answer and its bytes, if any (the caller closes them). */
  public record Fetched(ReadReply reply, InputStream body) {}

  private final HttpClient http;
  private final Duration timeout;
  private final @Nullable Supplier<String> secret;

  private PeerClient(
      Duration timeout, @Nullable Supplier<String> secret, @Nullable SSLContext tls) {
    this.timeout = timeout;
    this.secret = secret;
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1);
    if (tls != null) {
      b.sslContext(tls);
    }
    this.http = b.build();
  }

  /** A client over plain HTTP that presents the namespace's peer secret (loopback only). */
  public static PeerClient withSecret(Duration timeout, Supplier<String> secret) {
    return new PeerClient(timeout, secret, null);
  }

  /** A client over HTTPS that presents {@code certificates} (mutual TLS of the namespace). */
  public static PeerClient secure(Duration timeout, NodeCertificates certificates) {
    return new PeerClient(timeout, null, certificates.sslContext());
  }

  /**
   * Asks the site at {@code address} for a read of an object it owns.
   *
   * @throws S3Exception the S3 error the owner answered with
   * @throws IOException if the site could not be reached or did not answer as a peer
   */
  public Fetched read(String address, PeerRead request) throws IOException {
    Answer a = call(address, "read", PeerCodec.read(request));
    try {
      ReadReply reply = PeerCodec.readReply(a.reply());
      return new Fetched(reply, a.body());
    } catch (RuntimeException e) {
      a.body().close();
      throw e;
    }
  }

  /**
   * What the site at {@code address} holds unflushed under {@code bucket/prefix}, in key order.
   *
   * @throws S3Exception the S3 error the owner answered with
   * @throws IOException if the site could not be reached or did not answer as a peer
   */
  public List<Unflushed> unflushed(String address, String bucket, String prefix)
      throws IOException {
    Answer a = call(address, "unflushed", PeerCodec.unflushedRequest(bucket, prefix));
    try (InputStream in = a.body()) {
      PeerCodec.failIfError(a.reply());
      return PeerCodec.unflushed(PeerCodec.JSON.readTree(in));
    }
  }

  /**
   * The figures of the site at {@code address} for {@code /api/sites}, as it sent them: at most
   * {@code limit} bytes.
   *
   * @throws IOException if the site could not be reached, did not answer as a peer, or sent more
   */
  public byte[] siteSnapshot(String address, int limit) throws IOException {
    Answer a = call(address, "site", PeerCodec.encode(PeerCodec.JSON.createObjectNode()));
    try (InputStream in = a.body()) {
      byte[] body = in.readNBytes(limit + 1);
      if (body.length > limit) {
        throw new IOException("site at " + address + " sent more than " + limit + " bytes");
      }
      return body;
    }
  }

  private record Answer(JsonNode reply, InputStream body) {}

  private Answer call(String address, String operation, String request) throws IOException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(address + "/peer/v1/" + operation))
            .timeout(timeout)
            .header(REQUEST_HEADER, request)
            .POST(HttpRequest.BodyPublishers.noBody());
    Supplier<String> s = secret;
    if (s != null) {
      b.header("Authorization", "Bearer " + s.get());
    }
    HttpRequest r = b.build();
    HttpResponse<InputStream> response;
    try {
      response = http.send(r, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted calling " + address, e);
    }
    String reply = response.headers().firstValue(REPLY_HEADER).orElse(null);
    if (response.statusCode() != 200 || reply == null) {
      response.body().close();
      throw new IOException(
          "site at " + address + " answered " + response.statusCode() + " to a peer " + operation);
    }
    try {
      return new Answer(PeerCodec.decode(reply), response.body());
    } catch (IOException e) {
      response.body().close();
      throw e;
    }
  }
}
