package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.ResolverStyle;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HttpDatesTest {
  /** The Signature V4 form, parsed strictly by the JDK: what the hand-written reader must match. */
  private static final DateTimeFormatter STRICT =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withResolverStyle(ResolverStyle.STRICT);

  @Test
  void signatureTimestampsReadAsTheStrictFormatReadsThem() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int i = 0; i < 20_000; i++) {
      Instant t = Instant.ofEpochSecond(random.nextLong(0, 4_102_444_800L)); // to 2100
      String text = HttpDates.AMZ.format(t);
      assertThat(HttpDates.parseAmz(text)).as("%s (seed %d)", text, seed).isEqualTo(t);
    }
    // Strings of the right shape with digits anywhere: valid or not, as the strict parse says.
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      for (int d = 0; d < 14; d++) {
        b.append((char) ('0' + random.nextInt(10)));
        if (d == 7) {
          b.append('T');
        }
      }
      String text = b.append('Z').toString();
      Instant expected;
      try {
        expected = LocalDateTime.parse(text, STRICT).toInstant(ZoneOffset.UTC);
      } catch (java.time.format.DateTimeParseException e) {
        expected = null;
      }
      assertThat(HttpDates.parseAmz(text)).as("%s (seed %d)", text, seed).isEqualTo(expected);
    }
  }

  @Test
  void malformedTimestampsAreNone() {
    for (String bad :
        new String[] {
          "",
          "20130524T000000",
          "20130524T000000z",
          "20130524 000000Z",
          "2013052AT000000Z",
          "20130231T000000Z",
          "20130524T240000Z",
          "20130524T000060Z",
          "+0130524T000000Z",
          "20130524T000000ZZ"
        }) {
      assertThat(HttpDates.parseAmz(bad)).as(bad).isNull();
    }
    assertThat(HttpDates.parseAmz(null)).isNull();
    assertThat(HttpDates.parseAmz("20130524T000000Z"))
        .isEqualTo(Instant.parse("2013-05-24T00:00:00Z"));
  }
}
