package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One rule of a bucket's CORS configuration (Amazon S3 User Guide, "Using cross-origin resource
 * sharing"): the origins, methods and request headers it allows, the response headers it exposes to
 * the page, and how long a browser may keep a preflight's answer. An origin or header may hold one
 * {@code *}, which stands for any run of characters. Immutable.
 *
 * @param id the rule's name, or null
 * @param maxAgeSeconds how long a preflight answer may be kept, or null for the browser's default
 */
record CorsRule(
    @Nullable String id,
    List<String> origins,
    List<String> methods,
    List<String> headers,
    List<String> expose,
    @Nullable Integer maxAgeSeconds) {

  /** The methods a rule may allow. */
  static final Set<String> METHODS = Set.of("GET", "PUT", "HEAD", "POST", "DELETE");

  CorsRule {
    origins = List.copyOf(origins);
    methods = List.copyOf(methods);
    headers = List.copyOf(headers);
    expose = List.copyOf(expose);
  }

  /** A rule as a PutBucketCors body gave it, checked as S3 checks it. */
  static CorsRule of(
      @Nullable String id,
      List<String> origins,
      List<String> methods,
      List<String> headers,
      List<String> expose,
      @Nullable Integer maxAgeSeconds) {
    if (origins.isEmpty() || methods.isEmpty()) {
      throw S3Error.MALFORMED_XML.exception();
    }
    for (String m : methods) {
      if (!METHODS.contains(m)) {
        throw S3Error.INVALID_REQUEST.exception(
            "Found unsupported HTTP method in CORS config. Unsupported method is " + m);
      }
    }
    for (String o : origins) {
      if (o.indexOf('*') != o.lastIndexOf('*')) {
        throw S3Error.INVALID_REQUEST.exception(
            "AllowedOrigin \"" + o + "\" can not have more than one wildcard.");
      }
    }
    for (String h : headers) {
      if (h.indexOf('*') != h.lastIndexOf('*')) {
        throw S3Error.INVALID_REQUEST.exception(
            "AllowedHeader \"" + h + "\" can not have more than one wildcard.");
      }
    }
    if (maxAgeSeconds != null && maxAgeSeconds < 0) {
      throw S3Error.MALFORMED_XML.exception();
    }
    return new CorsRule(id, origins, methods, headers, expose, maxAgeSeconds);
  }

  /**
   * Whether the rule allows a request from {@code origin} with {@code method} that sends {@code
   * requestHeaders} (names as the browser lists them in a preflight).
   */
  boolean allows(String origin, String method, List<String> requestHeaders) {
    if (!methods.contains(method)) {
      return false;
    }
    boolean originAllowed = false;
    for (String o : origins) {
      originAllowed |= matches(o, origin, false);
    }
    if (!originAllowed) {
      return false;
    }
    for (String h : requestHeaders) {
      boolean allowed = false;
      for (String pattern : headers) {
        allowed |= matches(pattern, h, true);
      }
      if (!allowed) {
        return false;
      }
    }
    return true;
  }

  /** Whether every origin may call (the answer then names none: {@code *}). */
  boolean anyOrigin() {
    return origins.contains("*");
  }

  /** {@code pattern} with at most one {@code *} against {@code value}. */
  static boolean matches(String pattern, String value, boolean ignoreCase) {
    if (ignoreCase) {
      pattern = pattern.toLowerCase(Locale.ROOT);
      value = value.toLowerCase(Locale.ROOT);
    }
    int star = pattern.indexOf('*');
    if (star < 0) {
      return pattern.equals(value);
    }
    String head = pattern.substring(0, star);
    String tail = pattern.substring(star + 1);
    return value.length() >= head.length() + tail.length()
        && value.startsWith(head)
        && value.endsWith(tail);
  }

  /** The rules as GetBucketCors answers them. */
  static Xml document(List<CorsRule> rules) {
    Xml xml = Xml.document("CORSConfiguration");
    for (CorsRule r : rules) {
      xml.open("CORSRule");
      xml.optional("ID", r.id());
      r.headers().forEach(h -> xml.element("AllowedHeader", h));
      r.methods().forEach(m -> xml.element("AllowedMethod", m));
      r.origins().forEach(o -> xml.element("AllowedOrigin", o));
      r.expose().forEach(e -> xml.element("ExposeHeader", e));
      if (r.maxAgeSeconds() != null) {
        xml.element("MaxAgeSeconds", r.maxAgeSeconds());
      }
      xml.close("CORSRule");
    }
    return xml.close("CORSConfiguration");
  }
}
