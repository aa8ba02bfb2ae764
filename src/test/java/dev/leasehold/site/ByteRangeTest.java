package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class ByteRangeTest {
  @Test
  void parsesTheThreeForms() {
    assertThat(ByteRange.parse("bytes=0-9")).isEqualTo(new ByteRange(0, 9, 0));
    assertThat(ByteRange.parse("bytes=100-")).isEqualTo(new ByteRange(100, -1, 0));
    assertThat(ByteRange.parse("bytes=-5")).isEqualTo(new ByteRange(-1, -1, 5));
    assertThat(ByteRange.parse("Bytes=3-4")).isEqualTo(new ByteRange(3, 4, 0));
    assertThat(ByteRange.parse(" bytes=3- 4 ")).isEqualTo(new ByteRange(3, 4, 0));
  }

  @Test
  void ignoresWhatS3Ignores() {
    for (String h :
        new String[] {
          null,
          "",
          "bytes=",
          "bytes=-",
          "bytes=a-b",
          "bytes=5-2",
          "items=0-1",
          "bytes=0-1,3-4",
          "bytes=1",
          "bytes=99999999999999999999-"
        }) {
      assertThat(ByteRange.parse(h)).as(h).isNull();
    }
  }

  @Test
  void resolvesAgainstTheObjectSize() {
    assertThat(ByteRange.parse("bytes=0-9").resolve(5)).isEqualTo(new ByteSpan(0, 5));
    assertThat(ByteRange.parse("bytes=-3").resolve(10)).isEqualTo(new ByteSpan(7, 3));
    assertThat(ByteRange.parse("bytes=-30").resolve(10)).isEqualTo(new ByteSpan(0, 10));
    assertThat(ByteRange.parse("bytes=9-").resolve(10)).isEqualTo(new ByteSpan(9, 1));
  }

  @Test
  void unsatisfiableIsInvalidRangeWithTheSize() {
    for (String h : new String[] {"bytes=10-", "bytes=10-20", "bytes=-0"}) {
      assertInvalidRange(() -> ByteRange.parse(h).resolve(10), h, 10);
    }
    assertInvalidRange(() -> ByteRange.parse("bytes=0-0").resolve(0), "bytes=0-0", 0);
  }

  @Test
  void everySatisfiableRangeStaysInsideTheObject() {
    Random random = new Random(3);
    for (int i = 0; i < 10_000; i++) {
      long size = random.nextInt(5000);
      long a = random.nextInt(6000);
      long b = a + random.nextInt(6000);
      String[] forms = {"bytes=" + a + "-" + b, "bytes=" + a + "-", "bytes=-" + b};
      for (String form : forms) {
        ByteRange range = ByteRange.parse(form);
        // Unsatisfiable: a first byte at or past the end; a suffix of zero bytes, or of an
        // empty object.
        boolean satisfiable = form.startsWith("bytes=-") ? b > 0 && size > 0 : a < size;
        if (satisfiable) {
          ByteSpan span = range.resolve(size);
          assertThat(span.offset()).as(form + " of " + size).isBetween(0L, size - 1);
          assertThat(span.length()).isPositive();
          assertThat(span.end()).isLessThanOrEqualTo(size);
        } else {
          assertInvalidRange(() -> range.resolve(size), form, size);
        }
      }
    }
  }

  /** S3's answer to a range it cannot satisfy: 416 InvalidRange, naming the range and the size. */
  private static void assertInvalidRange(ThrowingCallable resolve, String range, long size) {
    assertThatThrownBy(resolve)
        .as("%s of %d bytes", range, size)
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          S3Exception s = (S3Exception) e;
          assertThat(s.error().code()).isEqualTo("InvalidRange");
          assertThat(s.error().status()).isEqualTo(416);
          assertThat(s.details())
              .containsOnly(
                  Map.entry("RangeRequested", range),
                  Map.entry("ActualObjectSize", Long.toString(size)));
        });
  }
}
