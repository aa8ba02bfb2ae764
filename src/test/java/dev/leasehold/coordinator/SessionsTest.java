package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.RegisterSession;
import org.junit.jupiter.api.Test;

/** Sessions (docs/protocol.md, Sessions): registration, renewal, expiry, and what an end drops. */
class SessionsTest {
  final TableDriver t = new TableDriver();

  @Test
  void anExpiredHolderIsGoneUnlessItRenewedMeanwhile() {
    long a = t.register("a");
    long b = t.register("b");
    t.read(a);
    assertThat(t.begin(b).getHoldersList()).containsExactly(a);
    t.renew(a);
    t.expire(a, 0); // decided before the renewal: ignored
    assertThat(t.table.hasSession(a)).isTrue();
    t.expire(a, 1);
    assertThat(t.table.hasSession(a)).isFalse();
    assertThat(t.grant(b).getMode()).isEqualTo(Mode.WRITE);
    assertThat(t.read(a).getOutcome()).isEqualTo(Outcome.NO_SESSION);
    assertThat(t.renew(a).getOutcome()).isEqualTo(Outcome.NO_SESSION);
  }

  @Test
  void aSessionTakesTheIdTheLeaderDrewUnlessItIsLive() {
    long drawn = 0x5DEECE66DL << 20;
    long a =
        t.apply(
                Command.newBuilder()
                    .setRegister(RegisterSession.newBuilder().setSite("a").setSession(drawn)))
            .getSession();
    assertThat(a).isEqualTo(drawn);
    // The same draw again (for another site) while a's session lives: the table's counter, the
    // same on every peer that applies the entry.
    long b =
        t.apply(
                Command.newBuilder()
                    .setRegister(RegisterSession.newBuilder().setSite("b").setSession(drawn)))
            .getSession();
    assertThat(b).isNotEqualTo(drawn).isPositive();
    assertThat(t.table.hasSession(a)).isTrue();
    assertThat(t.table.hasSession(b)).isTrue();
    // Replayed from the log, the same entries give the same ids.
    TableDriver replay = new TableDriver();
    t.applied.forEach(c -> replay.table.apply(c));
    assertThat(replay.table.hasSession(a)).isTrue();
    assertThat(replay.table.hasSession(b)).isTrue();
  }

  @Test
  void registeringASiteAgainEndsItsEarlierSession() {
    long first = t.register("a");
    t.read(first);
    long second = t.register("a");
    assertThat(second).isGreaterThan(first);
    assertThat(t.table.hasSession(first)).isFalse();
    long b = t.register("b");
    assertThat(t.begin(b).getMode()).isEqualTo(Mode.WRITE);
  }

  @Test
  void sessionNumbersAreNeverReusedNotEvenAfterASnapshot() {
    long a = t.register("a");
    t.expire(a);
    LeaseTable restored = new LeaseTable();
    restored.restore(t.table.snapshot());
    long next =
        restored
            .apply(
                Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite("a")).build())
            .getSession();
    assertThat(next).isGreaterThan(a);
  }

  @Test
  void theFirstRegistrationSetsThePeerSecretForGood() {
    Command first =
        Command.newBuilder()
            .setRegister(RegisterSession.newBuilder().setSite("a").setPeerSecret("first"))
            .build();
    Command second =
        Command.newBuilder()
            .setRegister(RegisterSession.newBuilder().setSite("b").setPeerSecret("second"))
            .build();
    assertThat(t.table.apply(first).getPeerSecret()).isEqualTo("first");
    assertThat(t.table.apply(second).getPeerSecret()).isEqualTo("first");
    LeaseTable restored = new LeaseTable();
    restored.restore(t.table.snapshot());
    assertThat(restored.apply(second).getPeerSecret()).isEqualTo("first");
  }

  @Test
  void aSiteLearnsAtRegistrationAndRenewalWhichBucketsMergeTheOverlay() {
    long a = t.register("a");
    assertThat(t.renew(a).getOverlayBucketsList()).isEmpty();
    t.writeBack(true);
    assertThat(t.renew(a).getOverlayBucketsList()).containsExactly(TableDriver.BUCKET);
    t.writeBack(false);
    assertThat(t.renew(a).getOverlayBucketsList()).isEmpty();
  }
}
