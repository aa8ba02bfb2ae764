package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Signature V4 checked against the worked examples of the S3 API reference ("Signature Calculations
 * for the Authorization Header" and "Authenticating Requests: Using Query Parameters"), with the
 * clock fixed at their time.
 */
class AuthenticatorTest {
  static final Credentials EXAMPLE =
      new Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  static final Instant EXAMPLE_TIME = Instant.parse("2013-05-24T00:00:00Z");

  static Authenticator authenticator(Instant now) {
    return new Authenticator(
        EXAMPLE,
        KeyRing.NONE,
        "us-east-1",
        Duration.ofMinutes(15),
        Clock.fixed(now, ZoneOffset.UTC));
  }

  static S3Request request(HttpMethod method, String uri, Map<String, String> headers) {
    DefaultHttpRequest http = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
    headers.forEach((k, v) -> http.headers().add(k, v));
    return new Router(List.of("s3.amazonaws.com")).parse(http);
  }

  @Test
  void getObjectExample() {
    S3Request get =
        request(
            HttpMethod.GET,
            "/test.txt",
            Map.of(
                "Host", "examplebucket.s3.amazonaws.com",
                "Range", "bytes=0-9",
                "x-amz-content-sha256", Authenticator.EMPTY_SHA256,
                "x-amz-date", "20130524T000000Z",
                "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                        + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
                        + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
    assertThat(get.bucket()).isEqualTo("examplebucket");
    Authentication auth = authenticator(EXAMPLE_TIME).authenticate(get);
    assertThat(auth.accessKey()).isEqualTo("AKIAIOSFODNN7EXAMPLE");
    assertThat(auth.scope()).isEqualTo("20130524/us-east-1/s3/aws4_request");
  }

  @Test
  void presignedExample() {
    String url =
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    S3Request get = request(HttpMethod.GET, url, Map.of("Host", "examplebucket.s3.amazonaws.com"));
    Authentication auth = authenticator(EXAMPLE_TIME.plusSeconds(3600)).authenticate(get);
    assertThat(auth.payloadHash()).isEqualTo(Authenticator.UNSIGNED_PAYLOAD);

    assertThatThrownBy(() -> authenticator(EXAMPLE_TIME.plusSeconds(86401)).authenticate(get))
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          assertThat(((S3Exception) e).error().code()).isEqualTo("AccessDenied");
          assertThat(((S3Exception) e).error().status()).isEqualTo(403);
          assertThat(e.getMessage()).isEqualTo("Request has expired");
        });
  }

  @Test
  void aSignatureVerifiedBeforeIsFoundAgainOnlyForTheSameBytesAndTheSameKey() {
    String url =
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    Authenticator one = authenticator(EXAMPLE_TIME.plusSeconds(3600));
    S3Request get = request(HttpMethod.GET, url, Map.of("Host", "examplebucket.s3.amazonaws.com"));
    Authentication first = one.authenticate(get);
    assertThat(one.authenticate(get)).as("verified once, then remembered").isSameAs(first);

    // Another host (a signed header), another path, another method: checked afresh, and refused.
    for (S3Request other :
        List.of(
            request(HttpMethod.GET, url, Map.of("Host", "otherbucket.s3.amazonaws.com")),
            request(
                HttpMethod.GET,
                url.replace("/test.txt", "/test.txu"),
                Map.of("Host", "examplebucket.s3.amazonaws.com")),
            request(HttpMethod.HEAD, url, Map.of("Host", "examplebucket.s3.amazonaws.com")))) {
      assertThatThrownBy(() -> one.authenticate(other))
          .isInstanceOf(S3Exception.class)
          .satisfies(
              e -> assertThat(((S3Exception) e).error().code()).isEqualTo("SignatureDoesNotMatch"));
    }
    // Expiry is checked on every request, remembered or not.
    assertThatThrownBy(() -> authenticator(EXAMPLE_TIME.plusSeconds(86401)).authenticate(get))
        .hasMessage("Request has expired");

    // A key pair whose secret changed: the remembered success is of the old key, so it is checked
    // again, and fails.
    java.util.concurrent.atomic.AtomicReference<KeyRing.Key> key =
        new java.util.concurrent.atomic.AtomicReference<>(
            new KeyRing.Key(EXAMPLE.secretKey(), KeyScope.ALL));
    Authenticator rotating =
        new Authenticator(
            new Credentials("AKIDSITE", "site-secret"),
            accessKey -> accessKey.equals(EXAMPLE.accessKey()) ? key.get() : null,
            "us-east-1",
            Duration.ofMinutes(15),
            Clock.fixed(EXAMPLE_TIME.plusSeconds(3600), ZoneOffset.UTC));
    assertThat(rotating.authenticate(get).accessKey()).isEqualTo(EXAMPLE.accessKey());
    key.set(new KeyRing.Key("another-secret", KeyScope.ALL));
    assertThatThrownBy(() -> rotating.authenticate(get))
        .isInstanceOf(S3Exception.class)
        .satisfies(
            e -> assertThat(((S3Exception) e).error().code()).isEqualTo("SignatureDoesNotMatch"));
  }

  @Test
  void aChangedByteAnywhereBreaksTheSignature() {
    String auth =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
    S3Request otherRange =
        request(
            HttpMethod.GET,
            "/test.txt",
            Map.of(
                "Host", "examplebucket.s3.amazonaws.com",
                "Range", "bytes=0-8",
                "x-amz-content-sha256", Authenticator.EMPTY_SHA256,
                "x-amz-date", "20130524T000000Z",
                "Authorization", auth));
    assertThatThrownBy(() -> authenticator(EXAMPLE_TIME).authenticate(otherRange))
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          S3Exception s = (S3Exception) e;
          assertThat(s.error().code()).isEqualTo("SignatureDoesNotMatch");
          assertThat(s.error().status()).isEqualTo(403);
          assertThat(s.details()).containsKey("CanonicalRequest").containsKey("StringToSign");
        });
  }

  @Test
  void malformedAndUnsupportedAuthorization() {
    // The code and HTTP status the S3 API reference ("Error responses") gives each.
    Map<String, Map.Entry<String, Integer>> cases =
        Map.of(
            "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
                Map.entry("InvalidRequest", 400),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
                Map.entry("AuthorizationHeaderMalformed", 400),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3, SignedHeaders=host, Signature=00",
                Map.entry("AuthorizationHeaderMalformed", 400),
            "AWS4-HMAC-SHA256 Credential=OTHERKEY/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
                Map.entry("InvalidAccessKeyId", 403),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
                Map.entry("AuthorizationHeaderMalformed", 400),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=00",
                Map.entry("AuthorizationHeaderMalformed", 400));
    cases.forEach((header, error) -> {
      S3Request r =
          request(
              HttpMethod.GET,
              "/test.txt",
              Map.of(
                  "Host",
                  "examplebucket.s3.amazonaws.com",
                  "x-amz-content-sha256",
                  Authenticator.EMPTY_SHA256,
                  "x-amz-date",
                  "20130524T000000Z",
                  "Authorization",
                  header));
      assertThatThrownBy(() -> authenticator(EXAMPLE_TIME).authenticate(r))
          .as(header)
          .isInstanceOf(S3Exception.class)
          .satisfies(e -> {
            assertThat(((S3Exception) e).error().code()).isEqualTo(error.getKey());
            assertThat(((S3Exception) e).error().status()).isEqualTo(error.getValue());
          });
    });
  }

  @Test
  void presignedParameterErrors() {
    String base =
        "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
    for (String url :
        new String[] {
          base, // no X-Amz-Expires
          base + "&X-Amz-Expires=604801",
          base + "&X-Amz-Expires=-1",
          base.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256") + "&X-Amz-Expires=60"
        }) {
      S3Request r = request(HttpMethod.GET, url, Map.of("Host", "examplebucket.s3.amazonaws.com"));
      assertThatThrownBy(() -> authenticator(EXAMPLE_TIME).authenticate(r))
          .as(url)
          .isInstanceOf(S3Exception.class)
          .satisfies(e -> {
            assertThat(((S3Exception) e).error().code())
                .isEqualTo("AuthorizationQueryParametersError");
            assertThat(((S3Exception) e).error().status()).isEqualTo(400);
          });
    }
  }
}
