package dev.leasehold.origin;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/** In-memory payloads for origin tests. */
final class Payloads {
  private Payloads() {}

  static Payload of(byte[] body) {
    return new Payload() {
      @Override
      public long length() {
        return body.length;
      }

      @Override
      public byte[] md5() {
        try {
          return MessageDigest.getInstance("MD5").digest(body);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      public InputStream open() {
        return new ByteArrayInputStream(body);
      }

      @Override
      public Optional<Path> file() {
        return Optional.empty();
      }
    };
  }

  static Payload of(String text) {
    return of(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
