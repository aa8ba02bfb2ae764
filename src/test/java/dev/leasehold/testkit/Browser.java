package dev.leasehold.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * Headless Chromium driven by Debian's chromedriver over the W3C WebDriver protocol (plain HTTP and
 * JSON): open a page, run a script in it, take a screenshot. Not thread-safe.
 */
public final class Browser implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process driver;
  private final URI base;
  private final HttpClient http = HttpClient.newHttpClient();
  private final String session;

  private Browser(Process driver, URI base, String session) {
    this.driver = driver;
    this.base = base;
    this.session = session;
  }

  /** Starts chromedriver and a headless Chromium session (both from Debian's packages). */
  public static Browser start() throws IOException, InterruptedException {
    int port;
    Process driver;
    try (Ports reserved = Ports.reserve(1)) { // held on loopback until chromedriver starts
      port = reserved.get(0);
      reserved.release();
      driver =
          new ProcessBuilder("/usr/bin/chromedriver", "--port=" + port, "--allowed-ips=127.0.0.1")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
    }
    URI base = URI.create("http://127.0.0.1:" + port);
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      try {
        HttpResponse<String> status =
            http.send(
                HttpRequest.newBuilder(base.resolve("/status")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (JSON.readTree(status.body()).path("value").path("ready").asBoolean()) {
          break;
        }
      } catch (IOException notYet) {
        // chromedriver is starting
      }
      if (System.nanoTime() - deadline > 0) {
        driver.destroyForcibly();
        throw new IllegalStateException("chromedriver did not start");
      }
      Thread.sleep(100);
    }
    ObjectNode capabilities = JSON.createObjectNode();
    ObjectNode always = capabilities.putObject("capabilities").putObject("alwaysMatch");
    always.put("browserName", "chrome");
    ObjectNode options = always.putObject("goog:chromeOptions");
    options.put("binary", "/usr/bin/chromium");
    List.of(
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1280,900")
        .forEach(options.putArray("args")::add);
    try {
      JsonNode created = post(http, base.resolve("/session"), capabilities);
      return new Browser(driver, base, created.path("value").path("sessionId").asText());
    } catch (IOException | InterruptedException | RuntimeException e) {
      driver.destroyForcibly(); // no session: nothing else would stop it
      throw e;
    }
  }

  /** Opens {@code url} and waits for it to load. */
  public void open(URI url) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("url", url.toString());
    post(http, base.resolve("/session/" + session + "/url"), body);
  }

  /** Runs {@code script} (a function body) in the page; its return value as JSON. */
  public JsonNode run(String script) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("script", script);
    body.putArray("args");
    return post(http, base.resolve("/session/" + session + "/execute/sync"), body).path("value");
  }

  /**
   * Runs {@code script} (a function body) in the page, which ends by calling its last argument with
   * the result ({@code arguments[arguments.length - 1](value)}): for promises such as {@code
   * fetch}. Its value as JSON.
   */
  public JsonNode runAsync(String script) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("script", script);
    body.putArray("args");
    return post(http, base.resolve("/session/" + session + "/execute/async"), body).path("value");
  }

  /** Saves a PNG of the window to {@code file}. */
  public void screenshot(Path file) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(base.resolve("/session/" + session + "/screenshot")).build(),
            HttpResponse.BodyHandlers.ofString());
    String png = JSON.readTree(r.body()).path("value").asText();
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, Base64.getDecoder().decode(png));
  }

  private static JsonNode post(HttpClient http, URI uri, JsonNode body)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode answer = JSON.readTree(r.body());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("WebDriver " + uri.getPath() + ": " + answer);
    }
    return answer;
  }

  @Override
  public void close() {
    try {
      http.send(
          HttpRequest.newBuilder(base.resolve("/session/" + session)).DELETE().build(),
          HttpResponse.BodyHandlers.discarding());
    } catch (IOException | InterruptedException ignored) {
      // the driver goes next anyway
    } finally {
      driver.destroy();
      http.close();
    }
  }
}
