package dev.leasehold.object;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What protects one version of an object from deletion (Amazon S3 User Guide, "Locking objects with
 * Object Lock"): a retention period in a mode, and a legal hold. Immutable.
 *
 * <p>Kept with the version, among its metadata under {@link #METADATA_NAME}, as {@code
 * mode=GOVERNANCE until=<epoch millis> hold=1} (each part only when set).
 *
 * @param mode the retention mode, or null for none
 * @param retainUntil until when the mode holds (set exactly when {@code mode} is)
 * @param legalHold whether a legal hold is on
 */
public record ObjectLock(@Nullable Mode mode, @Nullable Instant retainUntil, boolean legalHold) {
  /** The retention modes. */
  public enum Mode {
    /**
     * Deletable, and shortenable, by a caller who says {@code x-amz-bypass-governance-retention}.
     */
    GOVERNANCE,
    /** Nobody may delete the version or shorten the period until it ends. */
    COMPLIANCE
  }

  public static final ObjectLock NONE = new ObjectLock(null, null, false);

  /** The name under which a version's lock is kept among its metadata. */
  public static final String METADATA_NAME = "leasehold-lock";

  public ObjectLock {
    if ((mode == null) != (retainUntil == null)) {
      throw new IllegalArgumentException("a retention has a mode and a date, or neither");
    }
  }

  /** The same lock with retention {@code mode} until {@code until} (both null: none). */
  public ObjectLock withRetention(@Nullable Mode mode, @Nullable Instant until) {
    return new ObjectLock(mode, until, legalHold);
  }

  public ObjectLock withLegalHold(boolean on) {
    return new ObjectLock(mode, retainUntil, on);
  }

  /** Whether a retention period is in force at {@code now}. */
  public boolean retained(Instant now) {
    return retainUntil != null && retainUntil.isAfter(now);
  }

  /**
   * Whether the version may be deleted at {@code now}: not under a legal hold, and not under a
   * retention in force, unless it is GOVERNANCE and the caller bypasses it.
   */
  public boolean deletable(Instant now, boolean bypassGovernance) {
    if (legalHold) {
      return false;
    }
    return !retained(now) || (mode == Mode.GOVERNANCE && bypassGovernance);
  }

  /**
   * Whether the retention may change to {@code next}'s at {@code now}: freely where none is in
   * force; a COMPLIANCE one only to COMPLIANCE at least as long; a GOVERNANCE one to GOVERNANCE at
   * least as long, and to anything else (shorter, lifted, or another mode) only by a caller who
   * bypasses governance.
   */
  public boolean mayChangeRetentionTo(ObjectLock next, Instant now, boolean bypassGovernance) {
    if (!retained(now)) {
      return true;
    }
    Instant until = java.util.Objects.requireNonNull(retainUntil);
    boolean longer = next.retainUntil() != null && !next.retainUntil().isBefore(until);
    if (mode == Mode.COMPLIANCE) {
      return next.mode() == Mode.COMPLIANCE && longer;
    }
    return (longer && next.mode() == Mode.GOVERNANCE) || bypassGovernance;
  }

  /** Whether nothing is set. */
  public boolean isNone() {
    return equals(NONE);
  }

  /** The text form (see the class comment). */
  public String encoded() {
    StringBuilder out = new StringBuilder();
    if (mode != null && retainUntil != null) {
      out.append("mode=").append(mode.name()).append(" until=").append(retainUntil.toEpochMilli());
    }
    if (legalHold) {
      out.append(out.isEmpty() ? "" : " ").append("hold=1");
    }
    return out.toString();
  }

  /** Reads {@link #encoded}; IllegalArgumentException if it is not that form. */
  public static ObjectLock decode(String text) {
    Mode mode = null;
    Instant until = null;
    boolean hold = false;
    for (String part : text.trim().split(" +")) {
      if (part.startsWith("mode=")) {
        mode = Mode.valueOf(part.substring(5));
      } else if (part.startsWith("until=")) {
        until = Instant.ofEpochMilli(Long.parseLong(part.substring(6)));
      } else if (part.equals("hold=1")) {
        hold = true;
      } else if (!part.isEmpty()) {
        throw new IllegalArgumentException("not a lock: " + text);
      }
    }
    return new ObjectLock(mode, until, hold);
  }

  /** The lock kept in a version's metadata, or {@link #NONE}. */
  public static ObjectLock of(ObjectMetadata metadata) {
    String kept = metadata.user().get(METADATA_NAME);
    return kept == null ? NONE : decode(kept);
  }

  /** {@code metadata} keeping {@code lock} (none kept as no entry at all). */
  public static ObjectMetadata into(ObjectMetadata metadata, ObjectLock lock) {
    return metadata.withUserEntry(METADATA_NAME, lock.isNone() ? null : lock.encoded());
  }
}
