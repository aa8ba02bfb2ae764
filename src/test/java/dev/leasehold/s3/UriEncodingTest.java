package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
import dev.leasehold.testkit.Data;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UriEncodingTest {
  @Test
  void encodesAsSignatureV4Does() {
    assertThat(UriEncoding.encode("a b+c/d~e_f-g.h*")).isEqualTo("a%20b%2Bc%2Fd~e_f-g.h%2A");
    assertThat(UriEncoding.encodePath("/a b/é")).isEqualTo("/a%20b/%C3%A9");
  }

  @Test
  void decodingRoundTripsAndReadsNettysByteForByteView() {
    Random random = new Random(4);
    for (int i = 0; i < 5_000; i++) {
      String s = Data.randomString(random) + "/ +%";
      assertThat(UriEncoding.decodePath(UriEncoding.encodePath(s))).isEqualTo(s);
      assertThat(UriEncoding.decodeQuery(UriEncoding.encode(s))).isEqualTo(s);
    }
    // Netty hands the request line over as ISO-8859-1: raw UTF-8 bytes, one char each.
    String raw = new String("é".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    assertThat(UriEncoding.decodePath(raw)).isEqualTo("é");
    assertThat(UriEncoding.decodeQuery("a+b")).isEqualTo("a b");
    assertThat(UriEncoding.decodePath("a+b")).isEqualTo("a+b");
  }

  @Test
  void malformedIsInvalidUri() {
    for (String bad : new String[] {"%", "%4", "%ZZ", "%C3%28", "%FF"}) {
      assertThatThrownBy(() -> UriEncoding.decodePath(bad))
          .as(bad)
          .isInstanceOf(S3Exception.class)
          .satisfies(e -> {
            assertThat(((S3Exception) e).error().code()).isEqualTo("InvalidURI");
            assertThat(((S3Exception) e).error().status()).isEqualTo(400);
          });
    }
  }
}
