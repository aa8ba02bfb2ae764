package dev.leasehold.s3;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signature V4 signing keys, {@code HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request")}, cached per (secret, date, region, service): a key is good for a day, so a busy
 * site derives it once a day rather than four HMACs per request.
 *
 * <p>Thread-safe.
 */
final class SigningKeys {
  private record Scope(String secret, String date, String region, String service) {}

  private final Cache<Scope, byte[]> keys = Caffeine.newBuilder().maximumSize(64).build();

  byte[] key(String secret, String date, String region, String service) {
    return keys.get(
        new Scope(secret, date, region, service),
        s -> {
          byte[] k = hmac(("AWS4" + s.secret()).getBytes(StandardCharsets.UTF_8), s.date());
          k = hmac(k, s.region());
          k = hmac(k, s.service());
          return hmac(k, "aws4_request");
        });
  }

  static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
