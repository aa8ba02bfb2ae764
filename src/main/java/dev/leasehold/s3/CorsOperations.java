package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Cross-origin resource sharing for browsers (Amazon S3 User Guide, "Using cross-origin resource
 * sharing"): PutBucketCors, GetBucketCors and DeleteBucketCors keep a bucket's rules at the
 * coordinator, so rules set at one site hold at every site ({@link Gateway#bucketSetting}); a
 * preflight ({@code OPTIONS}, unsigned, as browsers send it) is answered from them; and a signed
 * request that names an {@code Origin} carries the {@code Access-Control-*} headers of the first
 * rule that allows it, on its answer whatever it is.
 *
 * <p>Thread-safe: the rules are parsed once per stored document ({@link BucketDocument}).
 */
final class CorsOperations {
  static final String KIND = "cors";
  private static final int MAX_CONFIGURATION = 64 * 1024;
  private static final int MAX_RULES = 100;

  private final Gateway gateway;
  private final BucketDocument<List<CorsRule>> rules;

  CorsOperations(Gateway gateway) {
    this.gateway = gateway;
    this.rules =
        new BucketDocument<>(
            gateway,
            KIND,
            S3Error.NO_SUCH_CORS_CONFIGURATION,
            "application/xml",
            (bucket, document) -> XmlRequests.corsConfiguration(document));
  }

  void put(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    List<CorsRule> given =
        XmlRequests.corsConfiguration(Bodies.small(request, exchange, auth, MAX_CONFIGURATION));
    if (given.size() > MAX_RULES) {
      throw S3Error.MALFORMED_XML.exception(
          "A CORS configuration has at most " + MAX_RULES + " rules.");
    }
    rules.put(bucket, CorsRule.document(given).bytes(), exchange, HttpResponseStatus.OK);
  }

  void get(String bucket, Exchange exchange) throws IOException {
    rules.get(bucket, exchange);
  }

  void delete(String bucket, Exchange exchange) throws IOException {
    rules.delete(bucket, exchange);
  }

  /**
   * A browser's preflight: may a page at {@code Origin} send {@code Access-Control-Request-Method}
   * with {@code Access-Control-Request-Headers}? 200 with what the first allowing rule allows; 403
   * {@code AccessForbidden} if no rule allows it or the bucket has none.
   */
  void preflight(S3Request request, String bucket, Exchange exchange) throws IOException {
    String origin = request.header("Origin");
    if (origin == null || origin.isEmpty()) {
      throw S3Error.BAD_REQUEST.exception(
          "Insufficient information. Origin request header needed.");
    }
    String method = request.header("Access-Control-Request-Method");
    if (method == null || !CorsRule.METHODS.contains(method)) {
      throw S3Error.BAD_REQUEST.exception("Invalid Access-Control-Request-Method: " + method);
    }
    List<String> asked = new ArrayList<>();
    for (String header : request.headers("Access-Control-Request-Headers")) {
      for (String name : header.split(",")) {
        if (!name.isBlank()) {
          asked.add(name.trim());
        }
      }
    }
    List<CorsRule> rules = rulesOf(bucket);
    if (rules.isEmpty()) {
      throw S3Error.ACCESS_FORBIDDEN.exception(
          "CORSResponse: CORS is not enabled for this bucket.");
    }
    CorsRule rule = first(rules, origin, method, asked);
    if (rule == null) {
      throw S3Error.ACCESS_FORBIDDEN.exception(
          "CORSResponse: This CORS request is not allowed. The Origin, the method or a header"
              + " asked for is not allowed by the bucket's CORS rules.");
    }
    HttpHeaders headers = new DefaultHttpHeaders();
    allow(headers, rule, origin);
    headers.set("Access-Control-Allow-Methods", String.join(", ", rule.methods()));
    if (!asked.isEmpty()) {
      headers.set("Access-Control-Allow-Headers", String.join(", ", asked));
    }
    if (rule.maxAgeSeconds() != null) {
      headers.set("Access-Control-Max-Age", rule.maxAgeSeconds());
    }
    Replies.empty(exchange, HttpResponseStatus.OK, headers);
  }

  /**
   * The {@code Access-Control-*} headers the answer to a request from a page carries, if the
   * bucket's rules allow its origin and method; none otherwise (the browser then withholds the
   * answer from the page).
   */
  void decorate(S3Request request, @Nullable String bucket, Exchange exchange) {
    String origin = request.header("Origin");
    if (origin == null || bucket == null) {
      return;
    }
    CorsRule rule = first(rulesOf(bucket), origin, request.method().name(), List.of());
    if (rule != null) {
      HttpHeaders headers = new DefaultHttpHeaders();
      allow(headers, rule, origin);
      exchange.alwaysAdd(headers);
    }
  }

  private static void allow(HttpHeaders headers, CorsRule rule, String origin) {
    headers.set("Access-Control-Allow-Origin", rule.anyOrigin() ? "*" : origin);
    if (!rule.anyOrigin()) {
      headers.set("Access-Control-Allow-Credentials", "true");
    }
    if (!rule.expose().isEmpty()) {
      headers.set("Access-Control-Expose-Headers", String.join(", ", rule.expose()));
    }
    headers.set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  }

  private static @Nullable CorsRule first(
      List<CorsRule> rules, String origin, String method, List<String> asked) {
    for (CorsRule r : rules) {
      if (r.allows(origin, method, asked)) {
        return r;
      }
    }
    return null;
  }

  /** The bucket's rules (none: an empty list). */
  private List<CorsRule> rulesOf(String bucket) {
    List<CorsRule> kept = rules.of(bucket);
    return kept == null ? List.of() : kept;
  }
}
