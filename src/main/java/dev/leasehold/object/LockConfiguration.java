package dev.leasehold.object;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.jspecify.annotations.Nullable;

/**
 * A bucket's Object Lock configuration: enabled (it cannot be turned off), with an optional default
 * retention that every new version gets unless its write names its own. Immutable.
 *
 * @param mode the default retention's mode, or null for no default
 * @param days its length in days (0 if given in years)
 * @param years its length in years (0 if given in days)
 */
public record LockConfiguration(ObjectLock.@Nullable Mode mode, int days, int years) {
  /** Enabled, with no default retention. */
  public static final LockConfiguration ENABLED = new LockConfiguration(null, 0, 0);

  public LockConfiguration {
    if (mode != null && (days > 0) == (years > 0)) {
      throw new IllegalArgumentException("a default retention is days or years, one of them");
    }
  }

  /** The lock a new version written at {@code now} gets when its write names none. */
  public ObjectLock defaultFor(Instant now) {
    if (mode == null) {
      return ObjectLock.NONE;
    }
    Instant until =
        years > 0
            ? now.atOffset(ZoneOffset.UTC).plusYears(years).toInstant()
            : now.plus(Duration.ofDays(days));
    return new ObjectLock(mode, until, false);
  }
}
