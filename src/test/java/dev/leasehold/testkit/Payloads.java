package dev.leasehold.testkit;

import dev.leasehold.origin.Payload;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/** In-memory payloads for origin tests. */
public final class Payloads {
  private Payloads() {}

  public static Payload of(byte[] body) {
    return new Payload() {
      @Override
      public long length() {
        return body.length;
      }

      @Override
      public byte[] md5() {
        return Data.digest("MD5", body);
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

  public static Payload of(String text) {
    return of(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
