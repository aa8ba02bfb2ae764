package dev.leasehold.testkit;

import dev.leasehold.s3.Credentials;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signature V4 in the header form, written from the AWS documentation ("Create a signed AWS API
 * request"), for requests the SDK's {@link Signer} will not produce: the SDK derives {@code
 * Content-Length} and {@code x-amz-decoded-content-length} itself, so a body that lies about its
 * length has to be signed by hand. Every header given is signed; the caller names the payload hash
 * ({@code x-amz-content-sha256}).
 */
public final class HandSigner {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Credentials credentials;
  private final String region;
  private final Clock clock;

  public HandSigner(Credentials credentials) {
    this.credentials = credentials;
    this.region = "us-east-1";
    this.clock = Clock.systemUTC();
  }

  /**
   * The raw request head for {@code method} on {@code endpoint + path} with the canonical query
   * {@code query} (already sorted and encoded, {@code ""} for none), every header in {@code
   * headers} signed.
   */
  public String head(
      String method,
      URI endpoint,
      String path,
      String query,
      Map<String, String> headers,
      String payloadHash) {
    String stamp = STAMP.format(clock.instant());
    String date = stamp.substring(0, 8);
    String host = endpoint.getHost() + ":" + endpoint.getPort();
    TreeMap<String, String> signed = new TreeMap<>();
    headers.forEach((k, v) -> signed.put(k.toLowerCase(Locale.ROOT), v.trim()));
    signed.put("host", host);
    signed.put("x-amz-date", stamp);
    signed.put("x-amz-content-sha256", payloadHash);
    StringBuilder canonicalHeaders = new StringBuilder();
    signed.forEach((k, v) -> canonicalHeaders.append(k).append(':').append(v).append('\n'));
    String signedNames = String.join(";", signed.keySet());
    String canonical =
        String.join(
            "\n", method, path, query, canonicalHeaders.toString(), signedNames, payloadHash);
    String scope = date + "/" + region + "/s3/aws4_request";
    String toSign = "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex(sha256(canonical));
    byte[] key = ("AWS4" + credentials.secretKey()).getBytes(StandardCharsets.UTF_8);
    for (String part : new String[] {date, region, "s3", "aws4_request"}) {
      key = hmac(key, part);
    }
    String authorization =
        "AWS4-HMAC-SHA256 Credential="
            + credentials.accessKey()
            + "/"
            + scope
            + ", SignedHeaders="
            + signedNames
            + ", Signature="
            + hex(hmac(key, toSign));
    StringBuilder head = new StringBuilder();
    head.append(method)
        .append(' ')
        .append(path)
        .append(query.isEmpty() ? "" : "?" + query)
        .append(" HTTP/1.1\r\n");
    signed.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    head.append("Authorization: ").append(authorization).append("\r\n");
    return head.toString();
  }

  /**
   * A presigned URL ("Authenticating Requests: Using Query Parameters" in the Amazon S3 API
   * reference) for {@code method} on {@code endpoint + path} (already URI-encoded), valid for
   * {@code expires}, that signs only {@code host} and carries {@code params} (such as {@code
   * x-amz-meta-color}) in its query, where the signature covers them, as the JavaScript SDK's
   * presigner puts a command's headers.
   */
  public URI presigned(
      String method, URI endpoint, String path, Map<String, String> params, Duration expires) {
    String stamp = STAMP.format(clock.instant());
    String date = stamp.substring(0, 8);
    String scope = date + "/" + region + "/s3/aws4_request";
    TreeMap<String, String> query = new TreeMap<>();
    params.forEach((k, v) -> query.put(encode(k), encode(v)));
    query.put("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    query.put("X-Amz-Credential", encode(credentials.accessKey() + "/" + scope));
    query.put("X-Amz-Date", stamp);
    query.put("X-Amz-Expires", Long.toString(expires.toSeconds()));
    query.put("X-Amz-SignedHeaders", "host");
    StringBuilder canonicalQuery = new StringBuilder();
    query.forEach(
        (k, v) -> canonicalQuery.append(canonicalQuery.isEmpty() ? "" : "&").append(k + "=" + v));
    String host = endpoint.getHost() + ":" + endpoint.getPort();
    String canonical =
        String.join(
            "\n",
            method,
            path,
            canonicalQuery.toString(),
            "host:" + host + "\n",
            "host",
            "UNSIGNED-PAYLOAD");
    String toSign = "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex(sha256(canonical));
    byte[] key = ("AWS4" + credentials.secretKey()).getBytes(StandardCharsets.UTF_8);
    for (String part : new String[] {date, region, "s3", "aws4_request"}) {
      key = hmac(key, part);
    }
    return URI.create(
        endpoint.getScheme()
            + "://"
            + host
            + path
            + "?"
            + canonicalQuery
            + "&X-Amz-Signature="
            + hex(hmac(key, toSign)));
  }

  /**
   * The fields that sign a browser upload's policy ("Authenticating Requests in Browser-Based
   * Uploads Using POST (AWS Signature Version 4)"): {@code x-amz-algorithm}, {@code
   * x-amz-credential} and {@code x-amz-date}, which the policy's conditions must name, and {@code
   * policy} (base64 of {@code policyJson} with those three conditions added as its last ones,
   * before {@code ]}) with its {@code x-amz-signature}.
   */
  public Map<String, String> postPolicy(String policyJson) {
    String stamp = STAMP.format(clock.instant());
    String date = stamp.substring(0, 8);
    String credential = credentials.accessKey() + "/" + date + "/" + region + "/s3/aws4_request";
    int close = policyJson.lastIndexOf(']');
    String full =
        policyJson.substring(0, close)
            + ", {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"}, {\"x-amz-credential\": \""
            + credential
            + "\"}, {\"x-amz-date\": \""
            + stamp
            + "\"}"
            + policyJson.substring(close);
    String policy =
        java.util.Base64.getEncoder().encodeToString(full.getBytes(StandardCharsets.UTF_8));
    byte[] key = ("AWS4" + credentials.secretKey()).getBytes(StandardCharsets.UTF_8);
    for (String part : new String[] {date, region, "s3", "aws4_request"}) {
      key = hmac(key, part);
    }
    Map<String, String> fields = new java.util.LinkedHashMap<>();
    fields.put("x-amz-algorithm", "AWS4-HMAC-SHA256");
    fields.put("x-amz-credential", credential);
    fields.put("x-amz-date", stamp);
    fields.put("policy", policy);
    fields.put("x-amz-signature", hex(hmac(key, policy)));
    return fields;
  }

  /** RFC 3986 encoding as SigV4 wants it: every byte but the unreserved characters. */
  private static String encode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] hmac(byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
