package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Finds the bucket and key a request addresses. Virtual-host style when the Host is {@code
 * <bucket>.<domain>} for a configured domain ({@code mybucket.localhost:9000/photos/cat.jpg}); path
 * style otherwise ({@code 127.0.0.1:9000/mybucket/photos/cat.jpg}).
 *
 * <p>Immutable; thread-safe.
 */
final class Router {
  private final List<String> domains;

  Router(List<String> domains) {
    this.domains = domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
  }

  S3Request parse(HttpRequest http) {
    String uri = http.uri();
    if (uri.startsWith("http://") || uri.startsWith("https://")) {
      int slash = uri.indexOf('/', uri.indexOf("//") + 2);
      uri = slash < 0 ? "/" : uri.substring(slash);
    }
    int q = uri.indexOf('?');
    String rawPath = q < 0 ? uri : uri.substring(0, q);
    if (!rawPath.startsWith("/")) {
      throw S3Error.INVALID_URI.exception();
    }
    List<Map.Entry<String, String>> query = q < 0 ? List.of() : query(uri.substring(q + 1));
    String path = UriEncoding.decodePath(rawPath);
    String bucket;
    String key;
    String hostBucket = hostBucket(http.headers().get(HttpHeaderNames.HOST));
    if (hostBucket != null) {
      bucket = hostBucket;
      key = path.length() > 1 ? path.substring(1) : null;
    } else {
      String rest = path.substring(1);
      int slash = rest.indexOf('/');
      bucket = rest.isEmpty() ? null : slash < 0 ? rest : rest.substring(0, slash);
      key = slash < 0 ? null : rest.substring(slash + 1);
      if (key != null && key.isEmpty()) {
        key = null;
      }
    }
    if (bucket != null) {
      Names.checkBucket(bucket);
    }
    if (key != null) {
      Names.checkKey(key);
    }
    return new S3Request(http, headers(http, query), rawPath, query, bucket, key);
  }

  /** The query parameters of a presigned URL that sign it, and are never read as headers. */
  private static final java.util.Set<String> SIGNING =
      java.util.Set.of(
          "x-amz-algorithm",
          "x-amz-credential",
          "x-amz-date",
          "x-amz-expires",
          "x-amz-signedheaders",
          "x-amz-signature",
          "x-amz-security-token",
          "x-amz-content-sha256");

  /**
   * The headers a request carries. A presigned URL may carry its {@code x-amz-*} headers as query
   * parameters instead ({@code x-amz-meta-*}, {@code x-amz-acl}, {@code x-amz-storage-class},
   * {@code x-amz-tagging}, {@code x-amz-checksum-*}: the AWS SDKs' presigners put them there, where
   * the signature covers them): those count as headers, so they are honoured, or refused, exactly
   * as the header would be. A header sent as well wins. The signing parameters stay parameters.
   */
  private static io.netty.handler.codec.http.HttpHeaders headers(
      HttpRequest http, List<Map.Entry<String, String>> query) {
    io.netty.handler.codec.http.HttpHeaders headers = http.headers();
    boolean presigned = false;
    for (Map.Entry<String, String> e : query) {
      presigned |= e.getKey().equals("X-Amz-Signature");
    }
    if (!presigned) {
      return headers;
    }
    io.netty.handler.codec.http.HttpHeaders merged = null;
    for (Map.Entry<String, String> e : query) {
      String name = e.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith("x-amz-") && !SIGNING.contains(name) && !headers.contains(name)) {
        if (merged == null) {
          merged = new io.netty.handler.codec.http.DefaultHttpHeaders().set(headers);
        }
        merged.add(name, e.getValue());
      }
    }
    return merged == null ? headers : merged;
  }

  private @Nullable String hostBucket(@Nullable String host) {
    if (host == null) {
      return null;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      return null; // an IPv6 literal is never a bucket
    }
    int colon = h.lastIndexOf(':');
    if (colon >= 0) {
      h = h.substring(0, colon);
    }
    for (String domain : domains) {
      if (h.length() > domain.length() + 1
          && h.endsWith(domain)
          && h.charAt(h.length() - domain.length() - 1) == '.') {
        return h.substring(0, h.length() - domain.length() - 1);
      }
    }
    return null;
  }

  private static List<Map.Entry<String, String>> query(String raw) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = UriEncoding.decodeQuery(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : UriEncoding.decodeQuery(pair.substring(eq + 1));
      out.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
    }
    return out;
  }
}
