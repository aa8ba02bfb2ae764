package dev.leasehold.peer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Calls another site's peer endpoint ({@code <address>/peer/v1/<operation>}). The request is
 * described in one header (a JSON object, {@code X-Leasehold-Request}); the answer likewise ({@code
 * X-Leasehold-Reply}), followed by the bytes, if any. Thread-safe: one HTTP client, reused.
 */
public final class PeerClient {
  public static final String REQUEST_HEADER = "X-Leasehold-Request";
  public static final String REPLY_HEADER = "X-Leasehold-Reply";

  /** An answer: its description and its bytes (the caller closes them). */
  public record Response(String reply, InputStream body) {}

  private final HttpClient http;
  private final Duration timeout;

  public PeerClient(Duration timeout) {
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
  }

  /**
   * Sends {@code request} (JSON) to {@code operation} at the site at {@code address}, with {@code
   * body} (a file) if not null.
   *
   * @throws IOException if the site could not be reached or did not answer as a peer
   */
  public Response call(
      String address, String secret, String operation, String request, @Nullable Path body)
      throws IOException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(address + "/peer/v1/" + operation))
            .timeout(timeout)
            .header("Authorization", "Bearer " + secret)
            .header(REQUEST_HEADER, request);
    b =
        body == null
            ? b.POST(HttpRequest.BodyPublishers.noBody())
            : b.POST(HttpRequest.BodyPublishers.ofFile(body));
    HttpResponse<InputStream> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted calling " + address, e);
    }
    String reply = r.headers().firstValue(REPLY_HEADER).orElse(null);
    if (r.statusCode() != 200 || reply == null) {
      r.body().close();
      throw new IOException(
          "site at " + address + " answered " + r.statusCode() + " to a peer " + operation);
    }
    return new Response(reply, r.body());
  }
}
