package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.site.Preconditions.Outcome;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Conditional reads in RFC 9110 order (13.2.2), as S3 applies them. */
class PreconditionsTest {
  static final Instant MODIFIED = Instant.parse("2026-01-01T12:00:00.500Z");
  static final ObjectInfo VERSION =
      new ObjectInfo("k", 10, "abc", MODIFIED, ObjectMetadata.EMPTY, 0);
  static final Instant BEFORE = Instant.parse("2026-01-01T11:00:00Z");
  static final Instant AT = Instant.parse("2026-01-01T12:00:00Z");
  static final Instant AFTER = Instant.parse("2026-01-01T13:00:00Z");

  static Outcome eval(String ifMatch, String ifNoneMatch, Instant ims, Instant ius) {
    return new Preconditions(ifMatch, ifNoneMatch, ims, ius).evaluate(VERSION);
  }

  @Test
  void ifMatch() {
    assertThat(eval("\"abc\"", null, null, null)).isEqualTo(Outcome.PROCEED);
    assertThat(eval("abc", null, null, null)).isEqualTo(Outcome.PROCEED);
    assertThat(eval("\"x\", \"abc\"", null, null, null)).isEqualTo(Outcome.PROCEED);
    assertThat(eval("*", null, null, null)).isEqualTo(Outcome.PROCEED);
    assertThat(eval("\"x\"", null, null, null)).isEqualTo(Outcome.PRECONDITION_FAILED);
  }

  @Test
  void ifNoneMatch() {
    assertThat(eval(null, "\"abc\"", null, null)).isEqualTo(Outcome.NOT_MODIFIED);
    assertThat(eval(null, "W/\"abc\"", null, null)).isEqualTo(Outcome.NOT_MODIFIED);
    assertThat(eval(null, "*", null, null)).isEqualTo(Outcome.NOT_MODIFIED);
    assertThat(eval(null, "\"x\"", null, null)).isEqualTo(Outcome.PROCEED);
  }

  @Test
  void datesCompareAtWholeSeconds() {
    assertThat(eval(null, null, AT, null)).isEqualTo(Outcome.NOT_MODIFIED);
    assertThat(eval(null, null, BEFORE, null)).isEqualTo(Outcome.PROCEED);
    assertThat(eval(null, null, null, AT)).isEqualTo(Outcome.PROCEED);
    assertThat(eval(null, null, null, BEFORE)).isEqualTo(Outcome.PRECONDITION_FAILED);
    assertThat(eval(null, null, AFTER, null)).isEqualTo(Outcome.NOT_MODIFIED);
  }

  @Test
  void entityTagsTakePrecedenceOverDates() {
    // If-Match holds: If-Unmodified-Since is not evaluated.
    assertThat(eval("\"abc\"", null, null, BEFORE)).isEqualTo(Outcome.PROCEED);
    // If-None-Match does not match: If-Modified-Since is not evaluated.
    assertThat(eval(null, "\"x\"", AFTER, null)).isEqualTo(Outcome.PROCEED);
    assertThat(eval("\"x\"", "\"abc\"", null, null)).isEqualTo(Outcome.PRECONDITION_FAILED);
  }

  @Test
  void aCopySourceFailsWhereAGetWouldBeNotModified() {
    Preconditions copy = new Preconditions(null, "\"abc\"", null, null).forCopy();
    assertThat(copy.evaluate(VERSION)).isEqualTo(Outcome.PRECONDITION_FAILED);
  }
}
