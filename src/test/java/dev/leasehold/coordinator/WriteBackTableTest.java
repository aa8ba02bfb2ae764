package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.AcquireRead;
import dev.leasehold.protocol.BeginWrite;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.DeclareLost;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.ExpireSession;
import dev.leasehold.protocol.MarkClean;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.ReadOverlay;
import dev.leasehold.protocol.ReclaimDirty;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.ReleaseLeases;
import dev.leasehold.protocol.RenewSession;
import dev.leasehold.protocol.SetBucketMode;
import dev.leasehold.protocol.TableSnapshot;
import dev.leasehold.protocol.VersionInfo;
import org.junit.jupiter.api.Test;

/**
 * The write-back rules of the lease table (PROTOCOL.md, Writes and Ownership), command by command.
 */
class WriteBackTableTest {
  static final Element E = Element.newBuilder().setBucket("b").setKey("k").build();

  final LeaseTable table = new LeaseTable();

  CommandResult apply(Command.Builder c) {
    return table.apply(c.build());
  }

  long register(String site) {
    return apply(Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite(site)))
        .getSession();
  }

  CommandResult renew(long s) {
    return apply(Command.newBuilder().setRenew(RenewSession.newBuilder().setSession(s)));
  }

  CommandResult writeBack(boolean on) {
    return apply(
        Command.newBuilder()
            .setSetBucketMode(SetBucketMode.newBuilder().setBucket("b").setWriteBack(on)));
  }

  CommandResult read(long s) {
    return apply(
        Command.newBuilder().setAcquireRead(AcquireRead.newBuilder().setSession(s).setElement(E)));
  }

  CommandResult begin(long s) {
    return apply(
        Command.newBuilder().setBeginWrite(BeginWrite.newBuilder().setSession(s).setElement(E)));
  }

  CommandResult commit(long s, long epoch, String etag, boolean dirty, long seq) {
    return apply(
        Command.newBuilder()
            .setCommit(
                CommitWrite.newBuilder()
                    .setSession(s)
                    .setElement(E)
                    .setEpoch(epoch)
                    .setDirty(dirty)
                    .setJournalSeq(seq)
                    .setVersion(VersionInfo.newBuilder().setExists(true).setEtag(etag))));
  }

  CommandResult clean(long s, long epoch, long version, String etag, boolean release) {
    return apply(
        Command.newBuilder()
            .setMarkClean(
                MarkClean.newBuilder()
                    .setSession(s)
                    .setElement(E)
                    .setEpoch(epoch)
                    .setRelease(release)
                    .setVersion(
                        VersionInfo.newBuilder()
                            .setVersion(version)
                            .setExists(true)
                            .setEtag(etag))));
  }

  CommandResult expire(long s) {
    return apply(
        Command.newBuilder()
            .setExpire(
                ExpireSession.newBuilder().setSession(s).setRenewalsSeen(table.renewals(s))));
  }

  CommandResult overlay() {
    return apply(
        Command.newBuilder().setOverlay(ReadOverlay.newBuilder().setBucket("b").setPrefix("")));
  }

  @Test
  void aSwitchToWriteBackWaitsUntilEverySiteRenewedTwice() {
    long a = register("a");
    long b = register("b");
    writeBack(true);
    assertThat(renew(a).getOverlayBucketsList()).containsExactly("b");
    assertThat(begin(a).getWriteBack()).isFalse(); // b has not heard of it yet
    renew(a);
    renew(b);
    assertThat(begin(a).getWriteBack()).isFalse();
    renew(b);
    assertThat(begin(a).getWriteBack()).isTrue();
    // A site that registers later learns it at registration.
    assertThat(
            apply(Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite("c")))
                .getOverlayBucketsList())
        .containsExactly("b");
  }

  /** A table where the bucket is write-back and site "a" holds WRITE(E). */
  long[] owner() {
    long a = register("a");
    long b = register("b");
    writeBack(true);
    for (int i = 0; i < 2; i++) {
      renew(a);
      renew(b);
    }
    CommandResult w = begin(a);
    assertThat(w.getWriteBack()).isTrue();
    return new long[] {a, b, w.getEpoch()};
  }

  @Test
  void aDirtyCommitKeepsTheGrantAndOthersAreToldWhoHoldsIt() {
    long[] s = owner();
    long a = s[0];
    long b = s[1];
    long epoch = s[2];
    CommandResult c1 = commit(a, epoch, "e1", true, 7);
    assertThat(c1.getOutcome()).isEqualTo(Outcome.OK);
    assertThat(c1.getMode()).isEqualTo(Mode.WRITE);
    assertThat(c1.getJournalSeq()).isEqualTo(7);
    // The same grant commits again: no new grant needed.
    assertThat(commit(a, epoch, "e2", true, 8).getVersion().getVersion()).isEqualTo(2);
    CommandResult conflict = read(b);
    assertThat(conflict.getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(conflict.getWriter()).isEqualTo(a);
    assertThat(conflict.getWriterHolds()).isTrue();
    assertThat(begin(b).getWriterHolds()).isTrue();
    // A dirty element is neither released nor aborted away.
    apply(Command.newBuilder().setRelease(ReleaseLeases.newBuilder().setSession(a).addElements(E)));
    assertThat(read(b).getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(overlay().getDirtyList())
        .extracting(d -> d.getVersion().getEtag())
        .containsExactly("e2");
  }

  @Test
  void aFlushOfAnOlderVersionLeavesItDirtyAndTheLatestOneCleansAndHandsOver() {
    long[] s = owner();
    long a = s[0];
    long b = s[1];
    long epoch = s[2];
    commit(a, epoch, "e1", true, 1);
    commit(a, epoch, "e2", true, 2);
    assertThat(clean(a, epoch, 1, "e1", false).getClean()).isFalse();
    assertThat(clean(a, epoch, 3, "e3", false).getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    assertThat(clean(a, epoch + 1, 2, "e2", false).getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    CommandResult done = clean(a, epoch, 2, "origin-e2", true);
    assertThat(done.getClean()).isTrue();
    assertThat(overlay().getDirtyList()).isEmpty();
    CommandResult r = read(b);
    assertThat(r.getMode()).isEqualTo(Mode.READ);
    assertThat(r.getVersion().getEtag()).isEqualTo("origin-e2");
    assertThat(r.getVersion().getVersion()).isEqualTo(2);
  }

  @Test
  void anOwnerWhoseSessionEndsMakesItsElementsUnavailableUntilItReclaimsThem() {
    long[] s = owner();
    long a = s[0];
    long b = s[1];
    commit(a, s[2], "e1", true, 5);
    expire(a);
    CommandResult down = read(b);
    assertThat(down.getOutcome()).isEqualTo(Outcome.OWNER_DOWN);
    assertThat(down.getOwner()).isEqualTo("a");
    assertThat(begin(b).getOutcome()).isEqualTo(Outcome.OWNER_DOWN);
    // Survives a snapshot.
    TableSnapshot snap = table.snapshot();
    table.restore(snap);
    long a2 = register("a");
    assertThat(read(a2).getOutcome()).isEqualTo(Outcome.OWNER_DOWN); // not before it reclaims
    CommandResult back =
        apply(Command.newBuilder().setReclaim(ReclaimDirty.newBuilder().setSession(a2)));
    assertThat(back.getOwnedList()).hasSize(1);
    assertThat(back.getOwned(0).getJournalSeq()).isEqualTo(5);
    assertThat(back.getOwned(0).getEpoch()).isGreaterThan(s[2]);
    assertThat(read(b).getWriterHolds()).isTrue();
    assertThat(clean(a2, back.getOwned(0).getEpoch(), 1, "e1", true).getClean()).isTrue();
    assertThat(read(b).getVersion().getEtag()).isEqualTo("e1");
  }

  @Test
  void declaringASiteLostFallsBackToTheLastCleanVersionAndNamesWhatWasLost() {
    long[] s = owner();
    long a = s[0];
    long b = s[1];
    // A clean version first (write-through), then a dirty one over it.
    commit(a, s[2], "clean", false, 0);
    long epoch = begin(a).getEpoch();
    commit(a, epoch, "dirty", true, 9);
    // Not while its session lives: it may still serve what it owns until its own deadline.
    assertThat(
            apply(Command.newBuilder().setDeclareLost(DeclareLost.newBuilder().setSite("a")))
                .getOutcome())
        .isEqualTo(Outcome.BUSY);
    expire(a);
    CommandResult lost =
        apply(Command.newBuilder().setDeclareLost(DeclareLost.newBuilder().setSite("a")));
    assertThat(lost.getDirtyList()).extracting(d -> d.getKey()).containsExactly("k");
    assertThat(table.hasSession(a)).isFalse();
    CommandResult r = read(b);
    assertThat(r.getMode()).isEqualTo(Mode.READ);
    assertThat(r.getVersion().getEtag()).isEqualTo("clean");
    assertThat(r.getVersion().getVersion()).isEqualTo(3); // a new number: no lease of v2 serves it
    long a2 = register("a");
    assertThat(
            apply(Command.newBuilder().setReclaim(ReclaimDirty.newBuilder().setSession(a2)))
                .getOwnedList())
        .isEmpty();
  }

  static Element element(String key) {
    return Element.newBuilder().setBucket("b").setKey(key).build();
  }

  @Test
  void aPrefixLeaseMakesTheVersionsUnderItUnknownWhenGrantedAndReleased() {
    long[] s = owner();
    long a = s[0];
    long b = s[1];
    commit(a, s[2], "known", false, 0); // write-through: k is known, clean
    assertThat(read(b).getVersion().getKnown()).isTrue();
    apply(Command.newBuilder().setRelease(ReleaseLeases.newBuilder().setSession(b).addElements(E)));
    CommandResult p =
        apply(
            Command.newBuilder()
                .setAcquirePrefix(
                    dev.leasehold.protocol.AcquirePrefixLease.newBuilder()
                        .setSession(a)
                        .setBucket("b")
                        .setPrefix("")));
    assertThat(p.getMode()).isEqualTo(Mode.WRITE);
    assertThat(read(b).getOutcome()).isEqualTo(Outcome.BUSY); // the holder answers for k now
    assertThat(read(a).getOutcome()).isEqualTo(Outcome.PREFIX_HELD);
    apply(
        Command.newBuilder()
            .setReleasePrefix(
                dev.leasehold.protocol.ReleasePrefixLease.newBuilder()
                    .setSession(a)
                    .setBucket("b")
                    .setPrefix("")
                    .setEpoch(p.getEpoch())));
    CommandResult after = read(b);
    assertThat(after.getMode()).isEqualTo(Mode.READ);
    assertThat(after.getVersion().getKnown())
        .as("the holder wrote unseen: ask the origin")
        .isFalse();
  }

  @Test
  void everyPeerHandsOutTheSameEpochsOnAReclaimWhateverItsSnapshotOrder() {
    long[] s = owner();
    long a = s[0];
    // Two more dirty elements, made dirty in the reverse of their key order.
    for (String key : new String[] {"z", "m"}) {
      CommandResult w =
          apply(
              Command.newBuilder()
                  .setBeginWrite(BeginWrite.newBuilder().setSession(a).setElement(element(key))));
      apply(
          Command.newBuilder()
              .setCommit(
                  CommitWrite.newBuilder()
                      .setSession(a)
                      .setElement(element(key))
                      .setEpoch(w.getEpoch())
                      .setDirty(true)
                      .setJournalSeq(1)
                      .setVersion(VersionInfo.newBuilder().setExists(true).setEtag(key))));
    }
    expire(a);
    // Touch z: the table keeps elements in access order, so a snapshot now lists m before z.
    assertThat(
            apply(
                    Command.newBuilder()
                        .setAcquireRead(
                            AcquireRead.newBuilder().setSession(s[1]).setElement(element("z"))))
                .getOutcome())
        .isEqualTo(Outcome.OWNER_DOWN);
    LeaseTable restored = new LeaseTable();
    restored.restore(table.snapshot());
    Command register =
        Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite("a")).build();
    long a2 = table.apply(register).getSession();
    assertThat(restored.apply(register).getSession()).isEqualTo(a2);
    Command reclaim =
        Command.newBuilder().setReclaim(ReclaimDirty.newBuilder().setSession(a2)).build();
    assertThat(restored.apply(reclaim).getOwnedList())
        .isEqualTo(table.apply(reclaim).getOwnedList());
  }
}
