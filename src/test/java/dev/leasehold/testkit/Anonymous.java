package dev.leasehold.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.jspecify.annotations.Nullable;

/** Unsigned requests, as a browser or curl sends them. Stateless; thread-safe. */
public final class Anonymous {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private Anonymous() {}

  /**
   * An unsigned {@code method} of {@code /bucket[/key]} at {@code site}; a PUT sends a small body.
   * {@code bucket} may carry a query ({@code b?acl}).
   */
  public static HttpResponse<String> request(
      URI site, String method, String bucket, @Nullable String key) {
    URI uri = site.resolve("/" + bucket + (key == null ? "" : "/" + key));
    HttpRequest.BodyPublisher body =
        method.equals("PUT")
            ? HttpRequest.BodyPublishers.ofString("anonymous")
            : HttpRequest.BodyPublishers.noBody();
    try {
      return HTTP.send(
          HttpRequest.newBuilder(uri).method(method, body).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
