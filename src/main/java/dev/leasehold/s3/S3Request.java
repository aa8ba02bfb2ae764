package dev.leasehold.s3;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A request as the S3 front end understands it: the method, the bucket and key it addresses (from
 * the host name in virtual-host style, else from the path), and its decoded query parameters.
 * Immutable once parsed ({@link Router#parse}); the Netty request it wraps is not modified after
 * decoding.
 *
 * @param headers the headers, with those a presigned URL carried in its query ({@link
 *     Router#parse}); the signature is checked against {@code http}'s own
 * @param rawPath the path as sent, without the query
 * @param query the query parameters, decoded, in the order sent
 * @param bucket the bucket addressed, or null for the service (ListBuckets)
 * @param key the object key addressed, or null for a bucket
 */
record S3Request(
    HttpRequest http,
    HttpHeaders headers,
    String rawPath,
    List<Map.Entry<String, String>> query,
    @Nullable String bucket,
    @Nullable String key) {

  HttpMethod method() {
    return http.method();
  }

  @Nullable String header(CharSequence name) {
    return headers.get(name);
  }

  List<String> headers(CharSequence name) {
    return headers.getAll(name);
  }

  boolean has(String param) {
    for (Map.Entry<String, String> e : query) {
      if (e.getKey().equals(param)) {
        return true;
      }
    }
    return false;
  }

  /** The first value of a query parameter, or null. */
  @Nullable String param(String name) {
    for (Map.Entry<String, String> e : query) {
      if (e.getKey().equals(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** The resource named in errors: {@code /bucket/key}. */
  String resource() {
    if (bucket == null) {
      return "/";
    }
    return key == null ? "/" + bucket : "/" + bucket + "/" + key;
  }
}
