package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.Browser;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CORSRule;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Cross-origin resource sharing (Amazon S3 User Guide, "Using cross-origin resource sharing" and
 * "Testing CORS"): rules set at one site hold at the other, a preflight is answered from the first
 * rule that allows the origin, method and headers (403 AccessForbidden otherwise, also for a bucket
 * without rules), a signed request from a page carries {@code Access-Control-Allow-Origin}, and
 * headless Chromium, on a page of another origin, uploads and downloads an object with {@code
 * fetch()}.
 */
class CorsIT {
  static LocalCluster cluster;
  static S3Client a;
  static S3Client b;

  static final CORSRule PAGE_RULE =
      CORSRule.builder()
          .id("page")
          .allowedOrigins("http://127.0.0.1:*")
          .allowedMethods("GET", "PUT", "HEAD")
          .allowedHeaders("content-type", "x-amz-*")
          .exposeHeaders("ETag")
          .maxAgeSeconds(600)
          .build();

  @BeforeAll
  static void start() {
    cluster = LocalCluster.builder().sites(2).start();
    a = cluster.client(0);
    b = cluster.client(1);
  }

  @AfterAll
  static void stop() {
    a.close();
    b.close();
    cluster.close();
  }

  @Test
  void rulesSetAtOneSiteHoldAtTheOther() throws Exception {
    String bucket = Data.bucket(a);
    URI atB = cluster.s3(1);
    // B reads the bucket's (absent) rules first, so that it holds a copy a change must replace.
    assertThat(preflight(atB, bucket, "http://127.0.0.1:8080", "GET", null).statusCode())
        .isEqualTo(403);
    assertError(() -> b.getBucketCors(r -> r.bucket(bucket)), 404, "NoSuchCORSConfiguration");

    a.putBucketCors(r ->
        r.bucket(bucket)
            .corsConfiguration(c ->
                c.corsRules(
                    PAGE_RULE,
                    CORSRule.builder().allowedOrigins("*").allowedMethods("GET").build())));
    Await.until(
        () -> rulesAt(b, bucket) == 2, cluster.ttl(), "site B to see the rules set at site A");
    List<CORSRule> rules = b.getBucketCors(r -> r.bucket(bucket)).corsRules();
    assertThat(rules.get(0).allowedOrigins()).containsExactly("http://127.0.0.1:*");
    assertThat(rules.get(0).allowedMethods()).containsExactly("GET", "PUT", "HEAD");
    assertThat(rules.get(0).maxAgeSeconds()).isEqualTo(600);

    HttpResponse<String> allowed =
        preflight(atB, bucket, "http://127.0.0.1:8080", "PUT", "Content-Type, X-Amz-Date");
    assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin"))
        .hasValue("http://127.0.0.1:8080");
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Methods"))
        .hasValue("GET, PUT, HEAD");
    assertThat(allowed.headers().firstValue("Access-Control-Allow-Headers"))
        .hasValue("Content-Type, X-Amz-Date");
    assertThat(allowed.headers().firstValue("Access-Control-Max-Age")).hasValue("600");

    // Any origin may GET (the second rule), naming no origin back; nobody else may PUT.
    HttpResponse<String> anyGet = preflight(atB, bucket, "https://elsewhere.example", "GET", null);
    assertThat(anyGet.statusCode()).isEqualTo(200);
    assertThat(anyGet.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    HttpResponse<String> refused = preflight(atB, bucket, "https://elsewhere.example", "PUT", null);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("<Code>AccessForbidden</Code>");
    assertThat(
            preflight(atB, bucket, "http://127.0.0.1:8080", "PUT", "x-other-header").statusCode())
        .as("a header no rule allows")
        .isEqualTo(403);

    // A signed request that names an Origin carries the rule's headers on its answer.
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    try (S3Client fromPage =
        Clients.builder(atB, LocalCluster.CREDENTIALS)
            .overrideConfiguration(o ->
                o.putHeader("Origin", "http://127.0.0.1:8080").retryStrategy(s -> s.maxAttempts(1)))
            .build()) {
      var got = fromPage.getObjectAsBytes(g -> g.bucket(bucket).key("k"));
      assertThat(
              got.response().sdkHttpResponse().firstMatchingHeader("Access-Control-Allow-Origin"))
          .hasValue("http://127.0.0.1:8080");
      assertThat(
              got.response().sdkHttpResponse().firstMatchingHeader("Access-Control-Expose-Headers"))
          .hasValue("ETag");
    }

    a.deleteBucketCors(r -> r.bucket(bucket));
    Await.until(
        () -> preflight(atB, bucket, "http://127.0.0.1:8080", "GET", null).statusCode() == 403,
        cluster.ttl(),
        "site B to drop the rules deleted at site A");
    assertError(() -> b.getBucketCors(r -> r.bucket(bucket)), 404, "NoSuchCORSConfiguration");
  }

  @Test
  void badRulesAreRefused() throws Exception {
    String bucket = Data.bucket(a);
    assertError(
        () ->
            a.putBucketCors(r ->
                r.bucket(bucket)
                    .corsConfiguration(c ->
                        c.corsRules(
                            CORSRule.builder()
                                .allowedOrigins("*")
                                .allowedMethods("PATCH")
                                .build()))),
        400,
        "InvalidRequest");
    assertError(
        () ->
            a.putBucketCors(r ->
                r.bucket(bucket)
                    .corsConfiguration(c ->
                        c.corsRules(
                            CORSRule.builder()
                                .allowedOrigins("http://*.a.*")
                                .allowedMethods("GET")
                                .build()))),
        400,
        "InvalidRequest");
    assertError(() -> a.getBucketCors(r -> r.bucket(bucket)), 404, "NoSuchCORSConfiguration");
    HttpResponse<String> noOrigin = preflight(cluster.s3(0), bucket, null, "GET", null);
    assertThat(noOrigin.statusCode()).isEqualTo(400);
  }

  /**
   * A page served from one origin (a server of this test's on another port) uploads an object to a
   * site and reads it back with {@code fetch()} and presigned URLs, as browser applications do; the
   * browser sends the preflight and checks every answer's CORS headers itself.
   */
  @Test
  void aBrowserPageUploadsAndDownloadsAcrossOrigins() throws Exception {
    String bucket = Data.bucket(a);
    a.putBucketCors(r -> r.bucket(bucket).corsConfiguration(c -> c.corsRules(PAGE_RULE)));
    HttpServer page = page();
    try (Browser browser = Browser.start();
        S3Presigner presigner = Clients.presigner(cluster.s3(1), LocalCluster.CREDENTIALS)) {
      String put =
          presigner
              .presignPutObject(p ->
                  p.signatureDuration(Duration.ofMinutes(5))
                      .putObjectRequest(o -> o.bucket(bucket).key("from-page")))
              .url()
              .toString();
      String get =
          presigner
              .presignGetObject(p ->
                  p.signatureDuration(Duration.ofMinutes(5))
                      .getObjectRequest(o -> o.bucket(bucket).key("from-page")))
              .url()
              .toString();
      browser.open(URI.create("http://127.0.0.1:" + page.getAddress().getPort() + "/"));
      JsonNode result =
          browser.runAsync(
              """
              const done = arguments[arguments.length - 1];
              (async () => {
                const put = await fetch(%s, {method: 'PUT', body: 'made in a browser',
                    headers: {'Content-Type': 'text/plain'}});
                const get = await fetch(%s);
                return {put: put.status, etag: put.headers.get('ETag'),
                    get: get.status, body: await get.text()};
              })().then(done, e => done({error: String(e)}));
              """
                  .formatted(quote(put), quote(get)));
      assertThat(result.path("error").isMissingNode()).as("fetch failed: %s", result).isTrue();
      assertThat(result.path("put").asInt()).isEqualTo(200);
      assertThat(result.path("etag").asText())
          .as("an exposed header")
          .isEqualTo(
              "\"" + Data.md5Hex("made in a browser".getBytes(StandardCharsets.UTF_8)) + "\"");
      assertThat(result.path("get").asInt()).isEqualTo(200);
      assertThat(result.path("body").asText()).isEqualTo("made in a browser");

      // Without a rule for the page's origin, the browser withholds the answer from the page.
      a.putBucketCors(r ->
          r.bucket(bucket)
              .corsConfiguration(c ->
                  c.corsRules(
                      CORSRule.builder()
                          .allowedOrigins("https://other.example")
                          .allowedMethods("GET")
                          .build())));
      Await.until(
          () ->
              preflight(cluster.s3(1), bucket, "http://127.0.0.1:1", "GET", null).statusCode()
                  == 403,
          cluster.ttl(),
          "site B to see the narrower rules");
      JsonNode blocked =
          browser.runAsync(
              """
              const done = arguments[arguments.length - 1];
              fetch(%s, {cache: 'no-store'})
                  .then(r => done({status: r.status}), e => done({error: String(e)}));
              """
                  .formatted(quote(get)));
      assertThat(blocked.path("error").asText()).contains("Failed to fetch");
    } finally {
      page.stop(0);
    }
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("from-page")).asUtf8String())
        .isEqualTo("made in a browser");
  }

  /**
   * A page posts a form upload (POST Object) with {@code fetch()} and {@code FormData}, signed by a
   * policy the page was given, as browser applications upload straight to S3; the site's CORS rules
   * let the page read the answer.
   */
  @Test
  void aBrowserPagePostsAFormUpload() throws Exception {
    String bucket = Data.bucket(a);
    a.putBucketCors(r ->
        r.bucket(bucket)
            .corsConfiguration(c ->
                c.corsRules(
                    CORSRule.builder()
                        .allowedOrigins("http://127.0.0.1:*")
                        .allowedMethods("POST", "GET")
                        .exposeHeaders("ETag", "Location")
                        .build())));
    java.util.Map<String, String> fields = new java.util.LinkedHashMap<>();
    fields.put("key", "forms/${filename}");
    fields.put("x-amz-meta-from", "browser");
    fields.putAll(
        new dev.leasehold.testkit.HandSigner(LocalCluster.CREDENTIALS)
            .postPolicy(
                PostObjectIT.policy(
                    bucket,
                    PostObjectIT.tomorrow(),
                    "[\"starts-with\", \"$key\", \"forms/\"]",
                    "{\"x-amz-meta-from\": \"browser\"}",
                    "[\"content-length-range\", 1, 1048576]")));
    HttpServer page = page();
    try (Browser browser = Browser.start()) {
      browser.open(URI.create("http://127.0.0.1:" + page.getAddress().getPort() + "/"));
      JsonNode result =
          browser.runAsync(
              """
              const done = arguments[arguments.length - 1];
              const fields = %s;
              const form = new FormData();
              for (const [name, value] of Object.entries(fields)) form.append(name, value);
              form.append('file', new Blob(['posted by a page'], {type: 'text/plain'}), 'note.txt');
              fetch(%s, {method: 'POST', body: form})
                  .then(r => done({status: r.status, etag: r.headers.get('ETag')}),
                        e => done({error: String(e)}));
              """
                  .formatted(
                      new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(fields),
                      quote(cluster.s3(1).resolve("/" + bucket).toString())));
      assertThat(result.path("error").isMissingNode()).as("fetch failed: %s", result).isTrue();
      assertThat(result.path("status").asInt()).isEqualTo(204);
      assertThat(result.path("etag").asText())
          .isEqualTo(
              "\"" + Data.md5Hex("posted by a page".getBytes(StandardCharsets.UTF_8)) + "\"");
    } finally {
      page.stop(0);
    }
    var got = a.getObjectAsBytes(g -> g.bucket(bucket).key("forms/note.txt"));
    assertThat(got.asUtf8String()).isEqualTo("posted by a page");
    assertThat(got.response().metadata()).containsEntry("from", "browser");
  }

  /** A server of one empty page on loopback: an origin other than the site's, for the browser. */
  static HttpServer page() throws java.io.IOException {
    HttpServer page = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    page.createContext(
        "/",
        exchange -> {
          byte[] html = "<!doctype html><title>page</title>".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/html");
          exchange.sendResponseHeaders(200, html.length);
          exchange.getResponseBody().write(html);
          exchange.close();
        });
    page.start();
    return page;
  }

  /** How many rules {@code s3} answers for the bucket; 0 for none. */
  private static int rulesAt(S3Client s3, String bucket) {
    try {
      return s3.getBucketCors(r -> r.bucket(bucket)).corsRules().size();
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      if (e.statusCode() == 404) {
        return 0;
      }
      throw e;
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** An OPTIONS preflight as a browser sends it: unsigned. */
  static HttpResponse<String> preflight(
      URI site, String bucket, String origin, String method, String headers) {
    var request = HttpRequest.newBuilder(site.resolve("/" + bucket + "/k"));
    request.method("OPTIONS", HttpRequest.BodyPublishers.noBody());
    if (origin != null) {
      request.header("Origin", origin);
    }
    request.header("Access-Control-Request-Method", method);
    if (headers != null) {
      request.header("Access-Control-Request-Headers", headers);
    }
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
