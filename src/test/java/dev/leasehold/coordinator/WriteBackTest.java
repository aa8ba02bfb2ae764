package dev.leasehold.coordinator;

import static dev.leasehold.coordinator.TableDriver.element;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.TableSnapshot;
import org.junit.jupiter.api.Test;

/**
 * Write-back in the lease table (docs/protocol.md, Writes and Ownership of unflushed data): dirty
 * commits, flushes, owners that go down, reclaims and losses, command by command.
 */
class WriteBackTest {
  final TableDriver t = new TableDriver();

  @Test
  void aDirtyCommitKeepsTheGrantAndOthersAreToldWhoHoldsIt() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    long b = s.b();
    long epoch = s.epoch();
    CommandResult c1 = t.commit(a, epoch, "e1", true, 7);
    assertThat(c1.getOutcome()).isEqualTo(Outcome.OK);
    assertThat(c1.getMode()).isEqualTo(Mode.WRITE);
    assertThat(c1.getJournalSeq()).isEqualTo(7);
    // The same grant commits again: no new grant needed.
    assertThat(t.commit(a, epoch, "e2", true, 8).getVersion().getVersion()).isEqualTo(2);
    CommandResult conflict = t.read(b);
    assertThat(conflict.getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(conflict.getWriter()).isEqualTo(a);
    assertThat(conflict.getWriterHolds()).isTrue();
    assertThat(conflict.getOwner()).isEqualTo("a");
    assertThat(t.begin(b).getWriterHolds()).isTrue();
    // A dirty element is neither released nor aborted away.
    t.release(a);
    assertThat(t.read(b).getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(t.abort(a, epoch, true).getOutcome()).isEqualTo(Outcome.OK);
    assertThat(t.read(b).getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(t.overlay().getDirtyList())
        .extracting(d -> d.getVersion().getEtag())
        .containsExactly("e2");
  }

  @Test
  void aFlushOfAnOlderVersionLeavesItDirtyAndTheLatestOneCleansAndHandsOver() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    long b = s.b();
    long epoch = s.epoch();
    t.commit(a, epoch, "e1", true, 1);
    t.commit(a, epoch, "e2", true, 2);
    assertThat(t.clean(a, epoch, 1, "e1", false).getClean()).isFalse();
    assertThat(t.clean(a, epoch, 3, "e3", false).getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    assertThat(t.clean(a, epoch + 1, 2, "e2", false).getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    CommandResult done = t.clean(a, epoch, 2, "origin-e2", true);
    assertThat(done.getClean()).isTrue();
    assertThat(t.overlay().getDirtyList()).isEmpty();
    CommandResult r = t.read(b);
    assertThat(r.getMode()).isEqualTo(Mode.READ);
    assertThat(r.getVersion().getEtag()).isEqualTo("origin-e2");
    assertThat(r.getVersion().getVersion()).isEqualTo(2);
  }

  @Test
  void aGrantOfADirtyElementNamesItsJournalEntryAndItsLastCleanVersion() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    t.commit(a, s.epoch(), "clean", false, 0); // write-through: the origin holds "clean"
    long epoch = t.begin(a).getEpoch();
    t.commit(a, epoch, "dirty", true, 4);
    CommandResult again = t.begin(a);
    assertThat(again.getMode()).isEqualTo(Mode.WRITE);
    assertThat(again.getJournalSeq()).isEqualTo(4);
    assertThat(again.getCleanVersion().getEtag()).isEqualTo("clean");
    assertThat(again.getVersion().getEtag()).isEqualTo("dirty");
  }

  @Test
  void anOwnerWhoseSessionEndsMakesItsElementsUnavailableUntilItReclaimsThem() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    long b = s.b();
    t.commit(a, s.epoch(), "e1", true, 5);
    t.expire(a);
    CommandResult down = t.read(b);
    assertThat(down.getOutcome()).isEqualTo(Outcome.OWNER_DOWN);
    assertThat(down.getOwner()).isEqualTo("a");
    assertThat(t.begin(b).getOutcome()).isEqualTo(Outcome.OWNER_DOWN);
    assertThat(t.overlay().getDirty(0).getDown()).isTrue();
    // Survives a snapshot.
    TableSnapshot snap = t.table.snapshot();
    t.table.restore(snap);
    long a2 = t.register("a");
    assertThat(t.read(a2).getOutcome()).isEqualTo(Outcome.OWNER_DOWN); // not before it reclaims
    CommandResult back = t.reclaim(a2);
    assertThat(back.getOwnedList()).hasSize(1);
    assertThat(back.getOwned(0).getJournalSeq()).isEqualTo(5);
    assertThat(back.getOwned(0).getEpoch()).isGreaterThan(s.epoch());
    assertThat(t.read(b).getWriterHolds()).isTrue();
    assertThat(t.clean(a2, back.getOwned(0).getEpoch(), 1, "e1", true).getClean()).isTrue();
    assertThat(t.read(b).getVersion().getEtag()).isEqualTo("e1");
  }

  @Test
  void declaringASiteLostFallsBackToTheLastCleanVersionAndNamesWhatWasLost() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    long b = s.b();
    // A clean version first (write-through), then a dirty one over it.
    t.commit(a, s.epoch(), "clean", false, 0);
    long epoch = t.begin(a).getEpoch();
    t.commit(a, epoch, "dirty", true, 9);
    // Not while its session lives: it may still serve what it owns until its own deadline.
    assertThat(t.declareLost("a").getOutcome()).isEqualTo(Outcome.BUSY);
    t.expire(a);
    CommandResult lost = t.declareLost("a");
    assertThat(lost.getDirtyList()).extracting(d -> d.getKey()).containsExactly("k");
    assertThat(t.table.hasSession(a)).isFalse();
    CommandResult r = t.read(b);
    assertThat(r.getMode()).isEqualTo(Mode.READ);
    assertThat(r.getVersion().getEtag()).isEqualTo("clean");
    assertThat(r.getVersion().getVersion()).isEqualTo(3); // a new number: no lease of v2 serves it
    long a2 = t.register("a");
    assertThat(t.reclaim(a2).getOwnedList()).isEmpty();
  }

  @Test
  void aBucketSwitchedBackToWriteThroughStaysOverlaidWhileItIsDirty() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    t.commit(a, s.epoch(), "dirty", true, 1);
    t.writeBack(false);
    assertThat(t.renew(a).getOverlayBucketsList()).containsExactly(TableDriver.BUCKET);
    t.clean(a, s.epoch(), 1, "flushed", true);
    assertThat(t.renew(a).getOverlayBucketsList()).isEmpty();
  }

  @Test
  void everyPeerHandsOutTheSameEpochsOnAReclaimWhateverItsSnapshotOrder() {
    TableDriver.Owner s = t.owner();
    long a = s.a();
    // Two more dirty elements, made dirty in the reverse of their key order.
    for (String key : new String[] {"z", "m"}) {
      CommandResult w = t.begin(a, element(key));
      t.commit(a, element(key), w.getEpoch(), key, true, 1);
    }
    t.expire(a);
    // Touch z: the table keeps elements in access order, so a snapshot now lists m before z.
    assertThat(t.read(s.b(), element("z")).getOutcome()).isEqualTo(Outcome.OWNER_DOWN);
    LeaseTable restored = new LeaseTable();
    restored.restore(t.table.snapshot());
    Command register =
        Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite("a")).build();
    long a2 = t.table.apply(register).getSession();
    assertThat(restored.apply(register).getSession()).isEqualTo(a2);
    Command reclaim =
        Command.newBuilder()
            .setReclaim(dev.leasehold.protocol.ReclaimDirty.newBuilder().setSession(a2))
            .build();
    assertThat(restored.apply(reclaim).getOwnedList())
        .isEqualTo(t.table.apply(reclaim).getOwnedList());
  }
}
