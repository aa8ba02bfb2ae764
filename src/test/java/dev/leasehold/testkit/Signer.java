package dev.leasehold.testkit;

import dev.leasehold.s3.Credentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.checksums.spi.ChecksumAlgorithm;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Signs requests with the AWS SDK's own Signature V4 signer, in any of its forms (header or
 * presigned; signed, unsigned or chunked payloads; trailing checksums; any clock), and renders them
 * as raw HTTP for {@link RawHttp}. The signer is the reference: Leasehold must accept what it
 * signs.
 */
public final class Signer {
  /** How the payload is signed. */
  public enum Payload {
    /** {@code x-amz-content-sha256} is the body's SHA-256. */
    SIGNED,
    /** {@code UNSIGNED-PAYLOAD}. */
    UNSIGNED,
    /** {@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD}: aws-chunked with chunk signatures. */
    STREAMING_SIGNED,
    /** {@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER}, with a CRC32 trailer. */
    STREAMING_SIGNED_TRAILER,
    /** {@code STREAMING-UNSIGNED-PAYLOAD-TRAILER}, with a CRC32 trailer. */
    STREAMING_UNSIGNED_TRAILER
  }

  /** A signed request: its head (request line and headers) and its encoded body. */
  public record Signed(String head, byte[] body, URI uri) {}

  private final Credentials credentials;
  private final String region;
  private final Clock clock;

  public Signer(Credentials credentials) {
    this(credentials, "us-east-1", Clock.systemUTC());
  }

  public Signer(Credentials credentials, String region, Clock clock) {
    this.credentials = credentials;
    this.region = region;
    this.clock = clock;
  }

  /**
   * Signs {@code method} on {@code endpoint + path} (path already URL-encoded) with the given extra
   * headers and body.
   */
  public Signed sign(
      String method,
      URI endpoint,
      String encodedPath,
      Map<String, String> headers,
      byte[] body,
      Payload payload) {
    // The SDK's signer signs the payload of any plain-http request whatever it is told; to get the
    // unsigned forms, it is shown an https URI with the same host and port (which is all the
    // signature covers of the URI's authority).
    boolean unsigned = payload == Payload.UNSIGNED || payload == Payload.STREAMING_UNSIGNED_TRAILER;
    URI target = URI.create(endpoint + encodedPath);
    if (unsigned) {
      target = URI.create("https" + target.toString().substring("http".length()));
    }
    SdkHttpRequest.Builder request =
        SdkHttpRequest.builder().method(SdkHttpMethod.fromValue(method)).uri(target);
    headers.forEach(request::putHeader);
    boolean streaming = payload.name().startsWith("STREAMING");
    if (streaming) {
      request.putHeader("x-amz-decoded-content-length", Long.toString(body.length));
      request.putHeader("Content-Length", Long.toString(body.length));
    }
    SignedRequest signed =
        AwsV4HttpSigner.create()
            .sign(r -> {
              r.identity(
                      AwsCredentialsIdentity.create(
                          credentials.accessKey(), credentials.secretKey()))
                  .request(request.build())
                  .payload(ContentStreamProvider.fromByteArray(body))
                  .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                  .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                  .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                  .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                  .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, clock)
                  .putProperty(
                      AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED,
                      payload == Payload.SIGNED
                          || payload == Payload.STREAMING_SIGNED
                          || payload == Payload.STREAMING_SIGNED_TRAILER)
                  .putProperty(AwsV4HttpSigner.CHUNK_ENCODING_ENABLED, streaming);
              if (payload == Payload.STREAMING_SIGNED_TRAILER
                  || payload == Payload.STREAMING_UNSIGNED_TRAILER) {
                r.putProperty(AwsV4HttpSigner.CHECKSUM_ALGORITHM, crc32());
              }
            });
    byte[] encoded = read(signed.payload().orElse(ContentStreamProvider.fromByteArray(body)));
    return new Signed(head(signed.request(), encoded.length), encoded, signed.request().getUri());
  }

  /** A presigned URL for {@code method} on {@code endpoint + path}, valid for {@code ttl}. */
  public URI presign(String method, URI endpoint, String encodedPath, Duration ttl) {
    SignedRequest signed =
        AwsV4HttpSigner.create()
            .sign(r ->
                r.identity(
                        AwsCredentialsIdentity.create(
                            credentials.accessKey(), credentials.secretKey()))
                    .request(
                        SdkHttpRequest.builder()
                            .method(SdkHttpMethod.fromValue(method))
                            .uri(URI.create(endpoint + encodedPath))
                            .build())
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                    .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
                    .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
                    .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, clock)
                    .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false)
                    .putProperty(
                        AwsV4HttpSigner.AUTH_LOCATION,
                        AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
                    .putProperty(AwsV4HttpSigner.EXPIRATION_DURATION, ttl));
    return signed.request().getUri();
  }

  private static String head(SdkHttpRequest request, int bodyLength) {
    StringBuilder head = new StringBuilder();
    String query = request.getUri().getRawQuery();
    head.append(request.method().name())
        .append(' ')
        .append(request.getUri().getRawPath())
        .append(query == null ? "" : "?" + query)
        .append(" HTTP/1.1\r\n");
    head.append("Host: ").append(request.host()).append(':').append(request.port()).append("\r\n");
    boolean hasLength = false;
    for (Map.Entry<String, List<String>> h : request.headers().entrySet()) {
      if (h.getKey().equalsIgnoreCase("Host")) {
        continue;
      }
      if (h.getKey().equalsIgnoreCase("Content-Length")) {
        hasLength = true;
        head.append("Content-Length: ").append(bodyLength).append("\r\n");
        continue;
      }
      for (String v : h.getValue()) {
        head.append(h.getKey()).append(": ").append(v).append("\r\n");
      }
    }
    if (!hasLength && bodyLength > 0) {
      head.append("Content-Length: ").append(bodyLength).append("\r\n");
    }
    return head.toString();
  }

  private static ChecksumAlgorithm crc32() {
    return software.amazon.awssdk.checksums.DefaultChecksumAlgorithm.CRC32;
  }

  private static byte[] read(ContentStreamProvider provider) {
    try (InputStream in = provider.newStream()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
