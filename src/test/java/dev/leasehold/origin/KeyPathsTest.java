package dev.leasehold.origin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The directory origin's names for key segments, checked over many random segments. */
class KeyPathsTest {
  @Test
  void shortNamesRoundTripAndAreSafe() {
    Random random = new Random(7);
    for (int i = 0; i < 5_000; i++) {
      String segment = randomSegment(random, 1 + random.nextInt(40));
      String name = KeyPaths.encode(segment);
      assertThat(name).doesNotContain("/").doesNotStartWith(".");
      if (!KeyPaths.isLong(name)) {
        assertThat(KeyPaths.decodeShort(name)).isEqualTo(segment);
      }
      assertThat(name.getBytes(StandardCharsets.UTF_8).length)
          .isLessThanOrEqualTo(KeyPaths.MAX_NAME);
    }
  }

  @Test
  void specialSegments() {
    assertThat(KeyPaths.encode("")).isEqualTo("%");
    assertThat(KeyPaths.decodeShort("%")).isEmpty();
    assertThat(KeyPaths.encode(".")).isEqualTo("%2E");
    assertThat(KeyPaths.encode("..")).isEqualTo("%2E.");
    assertThat(KeyPaths.encode("a.b")).isEqualTo("a.b");
    assertThat(KeyPaths.encode("100%")).isEqualTo("100%25");
  }

  @Test
  void longSegmentsGetDistinctBoundedNames() {
    String a = "x".repeat(1000);
    String b = "x".repeat(999) + "y";
    String na = KeyPaths.encode(a);
    String nb = KeyPaths.encode(b);
    assertThat(KeyPaths.isLong(na)).isTrue();
    assertThat(na).isNotEqualTo(nb);
    assertThat(na.length()).isLessThanOrEqualTo(KeyPaths.MAX_NAME);
    // Never split inside an escape.
    String escaped = KeyPaths.encode("\u00e9".repeat(200));
    String head = escaped.substring(0, escaped.indexOf("%%"));
    assertThat(head.length() % 3).isZero();
  }

  static String randomSegment(Random random, int length) {
    StringBuilder s = new StringBuilder();
    while (s.length() < length) {
      int cp =
          switch (random.nextInt(5)) {
            case 0 -> 'a' + random.nextInt(26);
            case 1 -> 0x20 + random.nextInt(0x5f);
            case 2 -> 0xa0 + random.nextInt(0x700);
            case 3 -> 0x1F600 + random.nextInt(50);
            default -> 0xE000 + random.nextInt(0x100);
          };
      if (cp != '/') {
        s.appendCodePoint(cp);
      }
    }
    return s.toString();
  }
}
