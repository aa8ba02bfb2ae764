package dev.leasehold.coordinator;

import static dev.leasehold.coordinator.TableDriver.element;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import org.junit.jupiter.api.Test;

/** Prefix WRITE leases (docs/protocol.md, Prefix leases), command by command. */
class PrefixLeasesTest {
  final TableDriver t = new TableDriver();

  @Test
  void aPrefixLeaseMakesTheVersionsUnderItUnknownWhenGrantedAndReleased() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    long b = s.b();
    t.commit(a, s.epoch(), "known", false, 0); // write-through: k is known, clean
    assertThat(t.read(b).getVersion().getKnown()).isTrue();
    t.release(b);
    CommandResult p = t.acquirePrefix(a, "");
    assertThat(p.getMode()).isEqualTo(Mode.WRITE);
    assertThat(t.read(b).getOutcome()).isEqualTo(Outcome.BUSY); // the holder answers for k now
    assertThat(t.read(a).getOutcome()).isEqualTo(Outcome.PREFIX_HELD);
    t.releasePrefix(a, "", p.getEpoch());
    CommandResult after = t.read(b);
    assertThat(after.getMode()).isEqualTo(Mode.READ);
    assertThat(after.getVersion().getKnown())
        .as("the holder wrote unseen: ask the origin")
        .isFalse();
  }

  @Test
  void itIsGrantedOnlyOnceEveryLeaseUnderThePrefixIsGone() {
    TableDriver.Owner s = t.owner(); // a holds WRITE(k)
    long a = s.a();
    long b = s.b();
    t.commit(a, s.epoch(), "v1", false, 0); // a keeps READ(k)
    t.read(b, element("dir/x"));
    t.read(a, element("elsewhere"));
    CommandResult waiting = t.acquirePrefix(b, "");
    assertThat(waiting.getMode()).isEqualTo(Mode.MODE_UNSPECIFIED);
    assertThat(waiting.getRecallsList())
        .extracting(r -> r.getSession() + " " + r.getElement().getKey() + " " + r.getMode())
        .containsExactlyInAnyOrder(a + " k READ", a + " elsewhere READ");
    assertThat(t.acquirePrefix(b, "dir/").getMode()).isEqualTo(Mode.WRITE); // b's own lease only
    t.release(a);
    t.release(a, element("elsewhere"));
    CommandResult granted = t.acquirePrefix(b, "");
    assertThat(granted.getMode()).isEqualTo(Mode.WRITE);
    assertThat(granted.getEpoch()).isGreaterThan(s.epoch());
  }

  @Test
  void anOverlappingPrefixLeaseElsewhereIsAConflictNamingItsHolder() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    long b = s.b();
    t.clean(a, s.epoch(), 0, "", true); // a hands k back
    CommandResult held = t.acquirePrefix(a, "logs/");
    assertThat(held.getMode()).isEqualTo(Mode.WRITE);
    for (String prefix : new String[] {"logs/", "logs/2026/", "", "lo"}) {
      CommandResult conflict = t.acquirePrefix(b, prefix);
      assertThat(conflict.getOutcome()).as(prefix).isEqualTo(Outcome.BUSY);
      assertThat(conflict.getOwner()).isEqualTo("a");
      assertThat(conflict.getPrefix()).isEqualTo("logs/");
    }
    assertThat(t.acquirePrefix(b, "other/").getMode()).isEqualTo(Mode.WRITE);
    CommandResult write = t.begin(b, element("logs/x"));
    assertThat(write.getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(write.getPrefix()).isEqualTo("logs/");
    assertThat(t.releasePrefix(b, "logs/", held.getEpoch()).getOutcome())
        .isEqualTo(Outcome.STALE_EPOCH);
  }

  @Test
  void aHolderThatGoesDownKeepsItsPrefixUntilItReclaimsItOrIsDeclaredLost() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    long b = s.b();
    t.clean(a, s.epoch(), 0, "", true);
    long epoch = t.acquirePrefix(a, "ckpt/").getEpoch();
    t.expire(a);
    assertThat(t.read(b, element("ckpt/1")).getOutcome()).isEqualTo(Outcome.OWNER_DOWN);
    assertThat(t.overlay().getPrefixOwnersList())
        .extracting(o -> o.getPrefix() + " " + o.getSite() + " " + o.getDown())
        .containsExactly("ckpt/ a true");

    long a2 = t.register("a");
    CommandResult back = t.reclaim(a2);
    assertThat(back.getOwnedPrefixesList()).hasSize(1);
    assertThat(back.getOwnedPrefixes(0).getEpoch()).isGreaterThan(epoch);
    assertThat(t.read(a2, element("ckpt/1")).getOutcome()).isEqualTo(Outcome.PREFIX_HELD);

    t.expire(a2);
    CommandResult lost = t.declareLost("a");
    assertThat(lost.getLostPrefixesList()).containsExactly("b/ckpt/");
    assertThat(t.read(b, element("ckpt/1")).getMode()).isEqualTo(Mode.READ);
  }

  @Test
  void onlyAWriteBackBucketGrantsAPrefixLease() {
    long a = t.register("a");
    CommandResult r = t.acquirePrefix(a, "x/");
    assertThat(r.getOutcome()).isEqualTo(Outcome.OK);
    assertThat(r.getWriteBack()).isFalse();
    assertThat(r.getMode()).isEqualTo(Mode.MODE_UNSPECIFIED);
  }
}
