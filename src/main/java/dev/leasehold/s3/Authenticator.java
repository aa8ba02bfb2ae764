package dev.leasehold.s3;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Verifies AWS Signature Version 4, in the Authorization header or in the query string (presigned
 * URLs), as the S3 API reference's "Authenticating Requests (AWS Signature Version 4)" specifies.
 * The body's own signatures (aws-chunked) are checked as it is read ({@link AwsChunkedStream}),
 * chained from the signature verified here.
 *
 * <p>Thread-safe; the clock is injected so expiry and skew are testable.
 */
final class Authenticator {
  static final String ALGORITHM = "AWS4-HMAC-SHA256";
  static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
  static final String EMPTY_SHA256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final long MAX_PRESIGN_SECONDS = 604_800;
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final String UNSUPPORTED_MECHANISM =
      "The authorization mechanism you have provided is not supported. Please use "
          + ALGORITHM
          + ".";

  private final Credentials credentials;
  private final KeyRing others;
  private final String region;
  private final Duration maxSkew;
  private final Clock clock;
  private final SigningKeys keys = new SigningKeys();

  /**
   * Signatures verified lately, by everything they were computed over ({@link #signedInput}): the
   * same bytes signed with the same key verify the same way, so a presigned URL read over and over
   * (or a request sent again) is verified once, and then found here. Only a success is kept, with
   * the key it was checked with; a key pair changed or removed since (the credentials file is read
   * again when it changes) no longer matches and is checked afresh. The time checks (expiry, skew)
   * are made on every request, before this. Thread-safe: a Caffeine cache, bounded and aged.
   */
  private final Cache<String, Verified> verified =
      Caffeine.newBuilder()
          .maximumSize(4096)
          .expireAfterWrite(Duration.ofMinutes(5))
          .executor(Runnable::run)
          .build();

  private record Verified(KeyRing.Key key, Authentication authentication) {}

  /**
   * @param credentials the site's own key pair, which may do everything
   * @param others further key pairs, each limited to its scope
   */
  Authenticator(
      Credentials credentials, KeyRing others, String region, Duration maxSkew, Clock clock) {
    this.credentials = credentials;
    this.others = others;
    this.region = region;
    this.maxSkew = maxSkew;
    this.clock = clock;
  }

  Authentication authenticate(S3Request request) {
    String header = request.http().headers().get("Authorization");
    if (header != null) {
      if (!header.startsWith(ALGORITHM + " ")) {
        throw S3Error.INVALID_REQUEST.exception(UNSUPPORTED_MECHANISM);
      }
      return fromHeader(request, header);
    }
    if (request.has("X-Amz-Algorithm")
        || request.has("X-Amz-Credential")
        || request.has("X-Amz-Signature")) {
      return fromQuery(request);
    }
    if (request.has("AWSAccessKeyId") || request.has("Signature")) {
      throw S3Error.INVALID_REQUEST.exception(UNSUPPORTED_MECHANISM);
    }
    return Authentication.ANONYMOUS; // what it may do is the bucket policy's to say
  }

  private Authentication fromHeader(S3Request request, String header) {
    String credential = null;
    String signedHeaders = null;
    String signature = null;
    for (String part : header.substring(ALGORITHM.length() + 1).split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq < 0) {
        throw malformedHeader("the authorization header has a component without '='");
      }
      String name = p.substring(0, eq);
      String value = p.substring(eq + 1);
      switch (name) {
        case "Credential" -> credential = value;
        case "SignedHeaders" -> signedHeaders = value;
        case "Signature" -> signature = value;
        default -> throw malformedHeader("unknown component " + name);
      }
    }
    if (credential == null || signedHeaders == null || signature == null) {
      throw malformedHeader("it needs Credential, SignedHeaders and Signature");
    }
    String timestamp = request.http().headers().get("x-amz-date");
    if (timestamp == null) {
      Instant date = HttpDates.parseHeader(request.http().headers().get("Date"));
      if (date == null) {
        throw S3Error.ACCESS_DENIED.exception(
            "AWS authentication requires a valid Date or x-amz-date header");
      }
      timestamp = HttpDates.AMZ.format(date);
    }
    Instant time = HttpDates.parseAmz(timestamp);
    if (time == null) {
      throw S3Error.ACCESS_DENIED.exception(
          "AWS authentication requires a valid Date or x-amz-date header");
    }
    Scope scope = scope(credential, timestamp, false);
    checkSkew(time);
    String payloadHash = request.http().headers().get("x-amz-content-sha256");
    if (payloadHash == null) {
      throw S3Error.INVALID_REQUEST.exception(
          "Missing required header for this request: x-amz-content-sha256");
    }
    checkPayloadHash(payloadHash);
    List<String> signed = signedHeaders(signedHeaders, false);
    Authentication verified =
        verify(scope, timestamp, request, signed, request.query(), signature, payloadHash);
    checkAmzHeadersSigned(request, signed);
    return verified;
  }

  private Authentication fromQuery(S3Request request) {
    String algorithm = request.param("X-Amz-Algorithm");
    String credential = request.param("X-Amz-Credential");
    String timestamp = request.param("X-Amz-Date");
    String expires = request.param("X-Amz-Expires");
    String signedHeaders = request.param("X-Amz-SignedHeaders");
    String signature = request.param("X-Amz-Signature");
    if (algorithm == null
        || credential == null
        || timestamp == null
        || expires == null
        || signedHeaders == null
        || signature == null) {
      throw S3Error.AUTHORIZATION_QUERY_PARAMETERS_ERROR.exception(
          "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential,"
              + " X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
    }
    if (!algorithm.equals(ALGORITHM)) {
      throw S3Error.AUTHORIZATION_QUERY_PARAMETERS_ERROR.exception(
          "X-Amz-Algorithm only supports \"" + ALGORITHM + "\"");
    }
    Instant time = HttpDates.parseAmz(timestamp);
    if (time == null) {
      throw S3Error.AUTHORIZATION_QUERY_PARAMETERS_ERROR.exception(
          "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    }
    long seconds;
    try {
      seconds = Long.parseLong(expires);
    } catch (NumberFormatException e) {
      throw S3Error.AUTHORIZATION_QUERY_PARAMETERS_ERROR.exception(
          "X-Amz-Expires should be a number");
    }
    if (seconds < 0) {
      throw S3Error.AUTHORIZATION_QUERY_PARAMETERS_ERROR.exception(
          "X-Amz-Expires must be non-negative");
    }
    if (seconds > MAX_PRESIGN_SECONDS) {
      throw S3Error.AUTHORIZATION_QUERY_PARAMETERS_ERROR.exception(
          "X-Amz-Expires must be less than a week (in seconds) that is 7 days or 604800 seconds");
    }
    Scope scope = scope(credential, timestamp, true);
    Instant now = clock.instant();
    if (now.isAfter(time.plusSeconds(seconds))) {
      throw S3Error.ACCESS_DENIED
          .exception("Request has expired")
          .with("X-Amz-Expires", expires)
          .with("Expires", HttpDates.xml(time.plusSeconds(seconds)))
          .with("ServerTime", HttpDates.xml(now));
    }
    if (time.isAfter(now.plus(maxSkew))) {
      throw S3Error.ACCESS_DENIED.exception("Request is not valid yet");
    }
    String payloadHash = request.http().headers().get("x-amz-content-sha256");
    if (payloadHash == null) {
      payloadHash = UNSIGNED_PAYLOAD;
    }
    checkPayloadHash(payloadHash);
    List<Map.Entry<String, String>> query = new ArrayList<>();
    for (Map.Entry<String, String> e : request.query()) {
      if (!e.getKey().equals("X-Amz-Signature")) {
        query.add(e);
      }
    }
    List<String> signed = signedHeaders(signedHeaders, true);
    Authentication verified =
        verify(scope, timestamp, request, signed, query, signature, payloadHash);
    checkAmzHeadersSigned(request, signed);
    return verified;
  }

  /**
   * Every {@code x-amz-*} header sent must be among those signed, as AWS requires: an unsigned one
   * would change what the signature allowed (an {@code x-amz-copy-source} added to a presigned PUT
   * turned it into a copy of any object).
   */
  private static void checkAmzHeadersSigned(S3Request request, List<String> signed) {
    List<String> unsigned = new ArrayList<>();
    for (String name : request.http().headers().names()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.startsWith("x-amz-") && !signed.contains(lower) && !unsigned.contains(lower)) {
        unsigned.add(lower);
      }
    }
    if (!unsigned.isEmpty()) {
      throw S3Error.ACCESS_DENIED
          .exception("There were headers present in the request which were not signed")
          .with("HeadersNotSigned", String.join(", ", unsigned));
    }
  }

  private record Scope(String accessKey, KeyRing.Key key, String date, String value) {}

  /** Checks {@code AKID/yyyyMMdd/region/s3/aws4_request} against the request and this site. */
  private Scope scope(String credential, String timestamp, boolean query) {
    String[] parts = credential.split("/", -1);
    if (parts.length != 5) {
      throw malformed(
          query,
          "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    }
    String accessKey = parts[0];
    KeyRing.Key key =
        MessageDigest.isEqual(
                accessKey.getBytes(StandardCharsets.UTF_8),
                credentials.accessKey().getBytes(StandardCharsets.UTF_8))
            ? new KeyRing.Key(credentials.secretKey(), KeyScope.ALL)
            : others.find(accessKey);
    if (key == null) {
      throw S3Error.INVALID_ACCESS_KEY_ID.exception().with("AWSAccessKeyId", accessKey);
    }
    if (!parts[1].equals(timestamp.substring(0, Math.min(8, timestamp.length())))) {
      throw malformed(query, "Invalid credential date. Date is not the same as X-Amz-Date.");
    }
    if (!parts[2].equals(region)) {
      throw malformed(query, "the region '" + parts[2] + "' is wrong; expecting '" + region + "'")
          .with("Region", region);
    }
    if (!parts[3].equals("s3")) {
      throw malformed(query, "the service '" + parts[3] + "' is wrong; expecting 's3'");
    }
    if (!parts[4].equals("aws4_request")) {
      throw malformed(query, "the terminal '" + parts[4] + "' is wrong; expecting 'aws4_request'");
    }
    return new Scope(
        accessKey, key, parts[1], parts[1] + "/" + parts[2] + "/" + parts[3] + "/" + parts[4]);
  }

  /**
   * Checks the signature. The canonical URI is the path as the client sent it, which is what SDKs
   * sign (they encode each key once, and may encode a slash as %2F to keep it from being
   * normalized); failing that, the path decoded and re-encoded canonically, which is what a client
   * that sent some characters unencoded signed.
   */
  private Authentication verify(
      Scope scope,
      String timestamp,
      S3Request request,
      List<String> signedHeaders,
      List<Map.Entry<String, String>> query,
      String signature,
      String payloadHash) {
    String input = signedInput(scope, timestamp, request, signedHeaders, signature, payloadHash);
    Verified before = verified.getIfPresent(input);
    if (before != null && before.key().equals(scope.key())) {
      return before.authentication();
    }
    String[] scopeParts = scope.value().split("/");
    byte[] signingKey =
        keys.key(scope.key().secretKey(), scope.date(), scopeParts[1], scopeParts[2]);
    String asSent = canonicalRequest(request, signedHeaders, query, payloadHash, true);
    boolean ok = matches(signingKey, scope, timestamp, asSent, signature);
    String canonical = asSent;
    if (!ok) {
      canonical = canonicalRequest(request, signedHeaders, query, payloadHash, false);
      ok = !canonical.equals(asSent) && matches(signingKey, scope, timestamp, canonical, signature);
    }
    if (!ok) {
      throw S3Error.SIGNATURE_DOES_NOT_MATCH
          .exception()
          .with("AWSAccessKeyId", scope.accessKey())
          .with("StringToSign", stringToSign(scope, timestamp, canonical))
          .with("SignatureProvided", signature)
          .with("CanonicalRequest", canonical);
    }
    Authentication authentication =
        authenticated(scope, timestamp, signingKey, signature, payloadHash);
    verified.put(input, new Verified(scope.key(), authentication));
    return authentication;
  }

  /**
   * Everything a request's canonical request and string to sign are made of, in one string: the
   * method and the URI as sent (its path and query: the parameters signed, and a presigned URL's
   * credential, signed headers and signature), the signed headers' values, the signature, the
   * payload hash, the time and the key. Two requests with the same input have the same canonical
   * request, so one signature verifies both or neither.
   */
  private static String signedInput(
      Scope scope,
      String timestamp,
      S3Request request,
      List<String> signedHeaders,
      String signature,
      String payloadHash) {
    String uri = request.http().uri();
    StringBuilder b = new StringBuilder(uri.length() + 256);
    b.append(request.method().name()).append(' ').append(uri).append('\n');
    b.append(scope.accessKey()).append('\n').append(scope.value()).append('\n');
    b.append(timestamp).append('\n').append(signature).append('\n').append(payloadHash);
    for (String name : signedHeaders) {
      b.append('\n').append(name).append(':');
      for (String value : request.headers(name)) {
        b.append(value).append('\u0000'); // no header value holds a NUL
      }
    }
    return b.toString();
  }

  /**
   * A browser upload's signature (POST Object with SigV4, Amazon S3 API reference, "Authenticating
   * Requests in Browser-Based Uploads Using POST"): the form's {@code x-amz-signature} is the HMAC
   * of its base64 {@code policy} with the signing key its {@code x-amz-credential} names. The
   * policy's expiration, not {@code x-amz-date}, bounds its life; the caller checks it.
   */
  Authentication authenticatePolicy(
      String algorithm, String credential, String timestamp, String policy, String signature) {
    if (!algorithm.equals(ALGORITHM)) {
      throw S3Error.INVALID_REQUEST.exception(UNSUPPORTED_MECHANISM);
    }
    if (timestamp.length() < 8) {
      throw S3Error.INVALID_ARGUMENT
          .exception("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
          .with("ArgumentName", "x-amz-date")
          .with("ArgumentValue", timestamp);
    }
    Scope scope = scope(credential, timestamp, true);
    String[] parts = scope.value().split("/");
    byte[] signingKey = keys.key(scope.key().secretKey(), scope.date(), parts[1], parts[2]);
    String expected = HexFormat.of().formatHex(SigningKeys.hmac(signingKey, policy));
    if (!MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII),
        signature.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII))) {
      throw S3Error.SIGNATURE_DOES_NOT_MATCH
          .exception()
          .with("AWSAccessKeyId", scope.accessKey())
          .with("StringToSign", policy);
    }
    return authenticated(scope, timestamp, signingKey, signature, UNSIGNED_PAYLOAD);
  }

  private static Authentication authenticated(
      Scope scope, String timestamp, byte[] signingKey, String signature, String payloadHash) {
    return new Authentication(
        scope.accessKey(),
        scope.key().scope(),
        timestamp,
        scope.value(),
        signingKey,
        signature,
        payloadHash);
  }

  private static boolean matches(
      byte[] signingKey, Scope scope, String timestamp, String canonical, String signature) {
    String expected =
        HexFormat.of()
            .formatHex(SigningKeys.hmac(signingKey, stringToSign(scope, timestamp, canonical)));
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII),
        signature.getBytes(StandardCharsets.US_ASCII));
  }

  private static String stringToSign(Scope scope, String timestamp, String canonicalRequest) {
    return ALGORITHM
        + "\n"
        + timestamp
        + "\n"
        + scope.value()
        + "\n"
        + sha256Hex(canonicalRequest.getBytes(StandardCharsets.ISO_8859_1));
  }

  private void checkSkew(Instant time) {
    Instant now = clock.instant();
    if (Duration.between(time, now).abs().compareTo(maxSkew) > 0) {
      throw S3Error.REQUEST_TIME_TOO_SKEWED
          .exception()
          .with("RequestTime", HttpDates.xml(time))
          .with("ServerTime", HttpDates.xml(now))
          .with("MaxAllowedSkewMilliseconds", Long.toString(maxSkew.toMillis()));
    }
  }

  private static void checkPayloadHash(String value) {
    switch (value) {
      case UNSIGNED_PAYLOAD,
          AwsChunkedStream.SIGNED,
          AwsChunkedStream.SIGNED_TRAILER,
          AwsChunkedStream.UNSIGNED_TRAILER -> {}
      case "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
          "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER" ->
          throw S3Error.NOT_IMPLEMENTED.exception(
              "Signature Version 4A (ECDSA) is not implemented; use " + ALGORITHM + ".");
      default -> {
        if (!HEX64.matcher(value).matches()) {
          throw S3Error.INVALID_ARGUMENT
              .exception(
                  "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER,"
                      + " STREAMING-AWS4-HMAC-SHA256-PAYLOAD,"
                      + " STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.")
              .with("ArgumentName", "x-amz-content-sha256")
              .with("ArgumentValue", value);
        }
      }
    }
  }

  private static List<String> signedHeaders(String list, boolean query) {
    List<String> names = List.of(list.split(";"));
    if (!names.contains("host")) {
      throw malformed(query, "SignedHeaders must include host");
    }
    return names;
  }

  /**
   * The canonical request. Header values are Netty's ISO-8859-1 view of the bytes sent, so the
   * whole is hashed as ISO-8859-1 to hash exactly the bytes the client signed.
   */
  static String canonicalRequest(
      S3Request request,
      List<String> signedHeaders,
      List<Map.Entry<String, String>> query,
      String payloadHash,
      boolean pathAsSent) {
    StringBuilder c = new StringBuilder(512);
    c.append(request.method().name()).append('\n');
    String path =
        pathAsSent
            ? request.rawPath()
            : UriEncoding.encodePath(UriEncoding.decodePath(request.rawPath()));
    c.append(path.isEmpty() ? "/" : path).append('\n');
    List<String[]> pairs = new ArrayList<>(query.size());
    for (Map.Entry<String, String> e : query) {
      pairs.add(new String[] {UriEncoding.encode(e.getKey()), UriEncoding.encode(e.getValue())});
    }
    pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
    for (int i = 0; i < pairs.size(); i++) {
      if (i > 0) {
        c.append('&');
      }
      c.append(pairs.get(i)[0]).append('=').append(pairs.get(i)[1]);
    }
    c.append('\n');
    for (String name : signedHeaders) {
      c.append(name).append(':');
      List<String> values = request.headers(name);
      for (int i = 0; i < values.size(); i++) {
        if (i > 0) {
          c.append(',');
        }
        c.append(collapse(values.get(i)));
      }
      c.append('\n');
    }
    c.append('\n').append(String.join(";", signedHeaders)).append('\n').append(payloadHash);
    return c.toString();
  }

  /** Trims a header value and collapses runs of spaces to one. */
  private static String collapse(String value) {
    String v = value.trim();
    if (v.indexOf("  ") < 0) {
      return v;
    }
    StringBuilder out = new StringBuilder(v.length());
    boolean space = false;
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      if (ch == ' ') {
        if (!space) {
          out.append(ch);
        }
        space = true;
      } else {
        out.append(ch);
        space = false;
      }
    }
    return out.toString();
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static S3Exception malformed(boolean query, String detail) {
    if (query) {
      return S3Error.AUTHORIZATION_QUERY_PARAMETERS_ERROR.exception(
          "Error parsing the X-Amz-Credential parameter; " + detail);
    }
    return malformedHeader(detail);
  }

  private static S3Exception malformedHeader(String detail) {
    return S3Error.AUTHORIZATION_HEADER_MALFORMED.exception(
        "The authorization header is malformed; " + detail);
  }
}
