package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PerSecondTest {
  @Test
  void formatsEachSecondOnceAndANewSecondAgain() {
    AtomicInteger formatted = new AtomicInteger();
    PerSecond text =
        new PerSecond(second -> {
          formatted.incrementAndGet();
          return "s" + second;
        });
    assertThat(text.at(10)).isEqualTo("s10");
    assertThat(text.at(10)).isEqualTo("s10");
    assertThat(formatted).hasValue(1);
    assertThat(text.at(11)).isEqualTo("s11");
    assertThat(text.at(11)).isEqualTo("s11");
    assertThat(formatted).hasValue(2);
  }

  @Test
  void headerDatesAreThoseOfTheCurrentSecond() {
    String before = HttpDates.header(java.time.Instant.now());
    String now = HttpDates.now();
    String after = HttpDates.header(java.time.Instant.now());
    assertThat(now).isIn(before, after);
  }
}
