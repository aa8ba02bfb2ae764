package dev.leasehold.object;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.object.ObjectLock.Mode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Object Lock's rules as the Amazon S3 User Guide states them ("How S3 Object Lock works"): a
 * version under a legal hold or a retention in force cannot be deleted; GOVERNANCE yields to a
 * caller who bypasses it, COMPLIANCE to nobody; a retention may be lengthened by anyone, and a
 * COMPLIANCE one never shortened or weakened; a default retention counts from the write.
 */
class ObjectLockTest {
  static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
  static final Instant LATER = NOW.plusSeconds(3600);
  static final Instant MUCH_LATER = NOW.plusSeconds(7200);

  @Test
  void whatMayBeDeleted() {
    assertThat(ObjectLock.NONE.deletable(NOW, false)).isTrue();
    ObjectLock governance = new ObjectLock(Mode.GOVERNANCE, LATER, false);
    assertThat(governance.deletable(NOW, false)).isFalse();
    assertThat(governance.deletable(NOW, true)).isTrue();
    assertThat(governance.deletable(MUCH_LATER, false)).as("expired").isTrue();
    ObjectLock compliance = new ObjectLock(Mode.COMPLIANCE, LATER, false);
    assertThat(compliance.deletable(NOW, true)).isFalse();
    assertThat(compliance.deletable(MUCH_LATER, false)).isTrue();
    ObjectLock held = ObjectLock.NONE.withLegalHold(true);
    assertThat(held.deletable(NOW, true)).isFalse();
    assertThat(governance.withLegalHold(true).deletable(MUCH_LATER, true)).isFalse();
  }

  @Test
  void howARetentionMayChange() {
    ObjectLock governance = new ObjectLock(Mode.GOVERNANCE, LATER, false);
    ObjectLock longer = new ObjectLock(Mode.GOVERNANCE, MUCH_LATER, false);
    ObjectLock shorter = new ObjectLock(Mode.GOVERNANCE, NOW.plusSeconds(60), false);
    assertThat(governance.mayChangeRetentionTo(longer, NOW, false)).isTrue();
    assertThat(governance.mayChangeRetentionTo(shorter, NOW, false)).isFalse();
    assertThat(governance.mayChangeRetentionTo(shorter, NOW, true)).isTrue();
    assertThat(governance.mayChangeRetentionTo(ObjectLock.NONE, NOW, false)).isFalse();
    assertThat(governance.mayChangeRetentionTo(ObjectLock.NONE, NOW, true)).isTrue();
    ObjectLock toCompliance = new ObjectLock(Mode.COMPLIANCE, MUCH_LATER, false);
    assertThat(governance.mayChangeRetentionTo(toCompliance, NOW, false))
        .as("another mode needs the bypass")
        .isFalse();
    assertThat(governance.mayChangeRetentionTo(toCompliance, NOW, true)).isTrue();

    ObjectLock compliance = new ObjectLock(Mode.COMPLIANCE, LATER, false);
    assertThat(
            compliance.mayChangeRetentionTo(
                new ObjectLock(Mode.COMPLIANCE, MUCH_LATER, false), NOW, false))
        .isTrue();
    assertThat(
            compliance.mayChangeRetentionTo(
                shorter.withRetention(Mode.COMPLIANCE, shorter.retainUntil()), NOW, true))
        .isFalse();
    assertThat(
            compliance.mayChangeRetentionTo(
                new ObjectLock(Mode.GOVERNANCE, MUCH_LATER, false), NOW, true))
        .as("weakened")
        .isFalse();
    assertThat(compliance.mayChangeRetentionTo(ObjectLock.NONE, MUCH_LATER, false))
        .as("once it has ended")
        .isTrue();
  }

  @Test
  void theKeptTextAndDefaultsReadBack() {
    ObjectLock lock = new ObjectLock(Mode.COMPLIANCE, LATER, true);
    assertThat(ObjectLock.decode(lock.encoded())).isEqualTo(lock);
    assertThat(ObjectLock.decode(ObjectLock.NONE.withLegalHold(true).encoded()))
        .isEqualTo(ObjectLock.NONE.withLegalHold(true));
    assertThat(ObjectLock.of(ObjectLock.into(ObjectMetadata.EMPTY, lock))).isEqualTo(lock);
    assertThat(ObjectLock.into(ObjectMetadata.EMPTY, ObjectLock.NONE).user()).isEmpty();
    assertThatThrownBy(() -> new ObjectLock(Mode.GOVERNANCE, null, false))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(new LockConfiguration(Mode.GOVERNANCE, 1, 0).defaultFor(NOW))
        .isEqualTo(new ObjectLock(Mode.GOVERNANCE, NOW.plusSeconds(86400), false));
    assertThat(new LockConfiguration(Mode.COMPLIANCE, 0, 1).defaultFor(NOW).retainUntil())
        .isEqualTo(Instant.parse("2027-12-05T12:00:00Z"));
    assertThat(LockConfiguration.ENABLED.defaultFor(NOW)).isEqualTo(ObjectLock.NONE);
  }
}
