package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * One kind of bucket setting (CORS rules, a policy, tags, a public access block) as its S3
 * operations serve it: stored at the coordinator for every site ({@link Gateway#bucketSetting}),
 * answered as stored, deleted with 204, and parsed once per stored document for the requests it
 * decides.
 *
 * <p>Thread-safe: the parsed values are kept per bucket as immutable pairs, replaced whole when the
 * stored document changes.
 *
 * @param <T> the parsed form
 */
final class BucketDocument<T> {
  private record Parsed<T>(byte[] document, T value) {}

  private final Gateway gateway;
  private final String kind;
  private final S3Error missing;
  private final String contentType;
  private final BiFunction<String, byte[], T> parse;
  private final ConcurrentHashMap<String, Parsed<T>> parsed = new ConcurrentHashMap<>();

  /**
   * @param kind the S3 sub-resource that names it
   * @param missing the error a get of an unset document answers
   * @param parse reads a bucket's stored document (stored only after it read)
   */
  BucketDocument(
      Gateway gateway,
      String kind,
      S3Error missing,
      String contentType,
      BiFunction<String, byte[], T> parse) {
    this.gateway = gateway;
    this.kind = kind;
    this.missing = missing;
    this.contentType = contentType;
    this.parse = parse;
  }

  /** Stores {@code document} (checked by the caller, who checked the bucket before its body). */
  void put(String bucket, byte[] document, Exchange exchange, HttpResponseStatus status)
      throws IOException {
    gateway.setBucketSetting(bucket, kind, document);
    Replies.empty(exchange, status);
  }

  void get(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    byte[] document = gateway.bucketSetting(bucket, kind);
    if (document == null) {
      throw missing.exception().with("BucketName", bucket);
    }
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, contentType);
    exchange.respond(HttpResponseStatus.OK, headers, document);
  }

  void delete(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    gateway.setBucketSetting(bucket, kind, null);
    Replies.empty(exchange, HttpResponseStatus.NO_CONTENT);
  }

  /** The bucket's document, parsed, or null if none is set. */
  @Nullable T of(String bucket) {
    byte[] document = gateway.bucketSetting(bucket, kind);
    if (document == null) {
      parsed.remove(bucket);
      return null;
    }
    Parsed<T> p = parsed.get(bucket);
    if (p == null || !Arrays.equals(p.document(), document)) {
      p = new Parsed<>(document, parse.apply(bucket, document));
      parsed.put(bucket, p);
    }
    return p.value();
  }
}
