package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leasehold.testkit.BuiltJar;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.JarProcess;
import dev.leasehold.testkit.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Logs: one access-log line per S3 request in the Combined Log Format (plus operation, time and
 * request id), and, with {@code LEASEHOLD_LOG_FORMAT=json}, every line one JSON object carrying the
 * site and request id.
 */
class LogsIT {
  private static final Duration STARTS_WITHIN = Duration.ofSeconds(90);

  private static final Pattern LINE =
      Pattern.compile(
          "^(\\S+) - (\\S+) \\[(\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4})\\] \"(\\S+)"
              + " (\\S+) HTTP/1\\.1\" (\\d{3}) (\\d+|-) \"((?:[^\"\\\\]|\\\\.)*)\" \"((?:[^\"\\\\]|\\\\.)*)\" (\\w+)"
              + " (\\d+\\.\\d{3})ms ([0-9A-F]+)$");

  @Test
  void everyRequestGetsOneAccessLogLine() throws Exception {
    Logger access = (Logger) LoggerFactory.getLogger("leasehold.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    Level level = access.getLevel();
    access.setLevel(Level.INFO);
    access.addAppender(lines);
    try (LocalCluster cluster = LocalCluster.builder().sites(1).start();
        S3Client s3 = cluster.client(0)) {
      String bucket = Data.bucket(s3);
      s3.putObject(p -> p.bucket(bucket).key("a/b c"), RequestBody.fromString("12345"));
      s3.getObjectAsBytes(g -> g.bucket(bucket).key("a/b c"));
      assertThatThrownBy(() -> s3.getObject(g -> g.bucket(bucket).key("missing")))
          .isInstanceOf(NoSuchKeyException.class);
      try (HttpClient http = HttpClient.newHttpClient()) {
        http.send(
            HttpRequest.newBuilder(cluster.site(0).s3Endpoint().resolve("/" + bucket))
                .header("User-Agent", "curl/8 \"quoted\"")
                .build(),
            HttpResponse.BodyHandlers.discarding());
      }

      // A line is written just after its response is sent: wait for the last one.
      long deadline = System.nanoTime() + 5_000_000_000L;
      List<String> logged = List.of();
      while (System.nanoTime() - deadline < 0) {
        synchronized (lines) { // the appender appends under its own lock
          logged =
              lines.list.stream()
                  .map(ILoggingEvent::getFormattedMessage)
                  .filter(l -> !l.contains(" CreateBucket "))
                  .toList();
        }
        if (logged.size() >= 4) {
          break;
        }
        Thread.sleep(20);
      }
      List<Matcher> parsed =
          logged.stream()
              .map(line -> {
                Matcher m = LINE.matcher(line);
                assertThat(m.matches()).as(line).isTrue();
                return m;
              })
              .toList();
      assertThat(parsed).hasSize(4);
      // Lines come in the order requests finish logging, not always the order they were sent.
      Matcher put = line(parsed, "PutObject", "200");
      Matcher get = line(parsed, "GetObject", "200");
      Matcher missing = line(parsed, "GetObject", "404");
      Matcher unsigned = line(parsed, "ListObjects", "403");
      String key = LocalCluster.CREDENTIALS.accessKey();
      assertThat(fields(put, 2, 4, 6, 10)).containsExactly(key, "PUT", "200", "PutObject");
      assertThat(put.group(5)).isEqualTo("/" + bucket + "/a/b%20c");
      assertThat(fields(get, 4, 6, 7, 10)).containsExactly("GET", "200", "5", "GetObject");
      assertThat(fields(missing, 6, 10)).containsExactly("404", "GetObject");
      // Unsigned: no user; the quote in the user agent is escaped.
      assertThat(fields(unsigned, 2, 6, 10)).containsExactly("-", "403", "ListObjects");
      assertThat(unsigned.group(9)).isEqualTo("curl/8 \\\"quoted\\\"");
      assertThat(put.group(1)).isEqualTo("127.0.0.1");
    } finally {
      access.detachAppender(lines);
      access.setLevel(level);
    }
  }

  @Test
  void theJsonFormatWritesOneObjectPerLineWithSiteAndRequestId(@TempDir Path dir) throws Exception {
    try (JarProcess site = serve(dir, "json")) {
      URI endpoint = URI.create(site.await(BuiltJar.S3_ENDPOINT, STARTS_WITHIN));
      String requestId;
      try (HttpClient http = HttpClient.newHttpClient()) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(endpoint.resolve("/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(403);
        requestId = r.headers().firstValue("x-amz-request-id").orElseThrow();
      }
      ObjectMapper json = new ObjectMapper();
      JsonNode accessLine = null;
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (accessLine == null && System.nanoTime() - deadline < 0) {
        for (String l : Files.readAllLines(dir.resolve("stderr.log"))) {
          JsonNode event = json.readTree(l); // every line is one JSON object
          assertThat(event.path("level").asText()).isNotEmpty();
          if (event.path("loggerName").asText().equals("leasehold.access")) {
            accessLine = event;
          }
        }
        Thread.sleep(100);
      }
      assertThat(accessLine).isNotNull();
      assertThat(accessLine.path("mdc").path("request").asText()).isEqualTo(requestId);
      assertThat(accessLine.path("mdc").path("site").asText()).isEqualTo("local");
      assertThat(accessLine.path("formattedMessage").asText())
          .contains("\"GET / HTTP/1.1\" 403")
          .endsWith(requestId);
      site.stop();
    }
  }

  @Test
  void theLastAccessLogLinesAreWrittenWhenTheSiteStops(@TempDir Path dir) throws Exception {
    List<String> ids = new java.util.ArrayList<>();
    try (JarProcess site = serve(dir, "text")) {
      URI endpoint = URI.create(site.await(BuiltJar.S3_ENDPOINT, STARTS_WITHIN));
      try (HttpClient http = HttpClient.newHttpClient()) {
        for (int i = 0; i < 20; i++) {
          HttpResponse<String> r =
              http.send(
                  HttpRequest.newBuilder(endpoint.resolve("/")).build(),
                  HttpResponse.BodyHandlers.ofString());
          ids.add(r.headers().firstValue("x-amz-request-id").orElseThrow());
        }
      }
      site.stop(); // SIGTERM right after the last response: its line may still be queued
    }
    List<String> access =
        Files.readAllLines(dir.resolve("stderr.log")).stream()
            .filter(l -> l.contains("\"GET / HTTP/1.1\" 403"))
            .toList();
    for (String id : ids) {
      assertThat(access).as("the access-log line of request " + id).anyMatch(l -> l.endsWith(id));
    }
  }

  /**
   * Starts {@code serve} on the embedded default with log format {@code format}: its banner in
   * {@code dir/stdout.log}, its logs, every line of them, in {@code dir/stderr.log}.
   */
  private static JarProcess serve(Path dir, String format) {
    return JarProcess.start(
        "serve",
        dir.resolve("stdout.log"),
        dir.resolve("stderr.log"),
        Map.of("LEASEHOLD_LOG_FORMAT", format),
        "serve",
        "--data-dir=" + dir.resolve("data"),
        "--s3-port=0",
        "--admin-port=0",
        "--peer-port=0");
  }

  private static Matcher line(List<Matcher> lines, String operation, String status) {
    return lines.stream()
        .filter(m -> m.group(10).equals(operation) && m.group(6).equals(status))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + operation + " " + status + " line"));
  }

  private static List<String> fields(Matcher m, int... groups) {
    return java.util.Arrays.stream(groups).mapToObj(m::group).toList();
  }
}
