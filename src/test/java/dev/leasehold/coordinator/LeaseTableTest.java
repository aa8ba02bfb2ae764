package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.AbortWrite;
import dev.leasehold.protocol.AcquireRead;
import dev.leasehold.protocol.BeginWrite;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.ExpireSession;
import dev.leasehold.protocol.GrantWrite;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.ReleaseLeases;
import dev.leasehold.protocol.RenewSession;
import dev.leasehold.protocol.VersionInfo;
import org.junit.jupiter.api.Test;

/** The rules of PROTOCOL.md as the lease table keeps them, command by command. */
class LeaseTableTest {
  static final Element E = Element.newBuilder().setBucket("b").setKey("k").build();

  final LeaseTable table = new LeaseTable();

  long register(String site) {
    return table
        .apply(Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite(site)).build())
        .getSession();
  }

  CommandResult read(long s) {
    return table.apply(
        Command.newBuilder()
            .setAcquireRead(AcquireRead.newBuilder().setSession(s).setElement(E))
            .build());
  }

  CommandResult begin(long s) {
    return table.apply(
        Command.newBuilder()
            .setBeginWrite(BeginWrite.newBuilder().setSession(s).setElement(E))
            .build());
  }

  CommandResult grant(long s) {
    return table.apply(
        Command.newBuilder()
            .setGrantWrite(GrantWrite.newBuilder().setSession(s).setElement(E))
            .build());
  }

  CommandResult commit(long s, long epoch, String etag) {
    return table.apply(
        Command.newBuilder()
            .setCommit(
                CommitWrite.newBuilder()
                    .setSession(s)
                    .setElement(E)
                    .setEpoch(epoch)
                    .setVersion(VersionInfo.newBuilder().setExists(true).setEtag(etag)))
            .build());
  }

  CommandResult release(long s) {
    return table.apply(
        Command.newBuilder()
            .setRelease(ReleaseLeases.newBuilder().setSession(s).addElements(E))
            .build());
  }

  CommandResult expire(long s, long renewalsSeen) {
    return table.apply(
        Command.newBuilder()
            .setExpire(ExpireSession.newBuilder().setSession(s).setRenewalsSeen(renewalsSeen))
            .build());
  }

  @Test
  void readersShareAndAWriterRecallsThemFirst() {
    long a = register("a");
    long b = register("b");
    long c = register("c");
    assertThat(read(a).getMode()).isEqualTo(Mode.READ);
    assertThat(read(b).getMode()).isEqualTo(Mode.READ);

    CommandResult begun = begin(c);
    assertThat(begun.getMode()).isEqualTo(Mode.MODE_UNSPECIFIED);
    assertThat(begun.getHoldersList()).containsExactly(a, b);
    // While C waits, no new reader is admitted, and C is not yet granted.
    assertThat(read(a).getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(grant(c).getHoldersList()).containsExactly(a, b);

    release(a);
    assertThat(grant(c).getHoldersList()).containsExactly(b);
    release(b);
    CommandResult granted = grant(c);
    assertThat(granted.getMode()).isEqualTo(Mode.WRITE);
    assertThat(granted.getEpoch()).isEqualTo(1);
  }

  @Test
  void aCommitBumpsTheVersionAndDowngradesToRead() {
    long a = register("a");
    long b = register("b");
    CommandResult w = begin(a);
    assertThat(w.getMode()).isEqualTo(Mode.WRITE);
    assertThat(read(b).getOutcome()).isEqualTo(Outcome.BUSY);
    CommandResult done = commit(a, w.getEpoch(), "etag-1");
    assertThat(done.getOutcome()).isEqualTo(Outcome.OK);
    assertThat(done.getVersion().getVersion()).isEqualTo(1);
    assertThat(done.getVersion().getKnown()).isTrue();
    CommandResult r = read(b);
    assertThat(r.getMode()).isEqualTo(Mode.READ);
    assertThat(r.getVersion().getEtag()).isEqualTo("etag-1");
    // The writer kept a READ lease: a new writer must recall it.
    assertThat(begin(b).getHoldersList()).containsExactly(a);
  }

  @Test
  void aStaleEpochIsRefused() {
    long a = register("a");
    long b = register("b");
    long epoch1 = begin(a).getEpoch();
    assertThat(commit(a, epoch1, "x").getOutcome()).isEqualTo(Outcome.OK);
    release(a);
    long epoch2 = begin(b).getEpoch();
    assertThat(epoch2).isGreaterThan(epoch1);
    // A's grant is over: a commit with its epoch is refused, as is one from the wrong session.
    assertThat(commit(a, epoch1, "late").getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    assertThat(commit(a, epoch2, "impostor").getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    assertThat(commit(b, epoch2, "y").getOutcome()).isEqualTo(Outcome.OK);
    assertThat(commit(b, epoch2, "again").getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
  }

  @Test
  void anExpiredHolderIsGoneUnlessItRenewedMeanwhile() {
    long a = register("a");
    long b = register("b");
    read(a);
    assertThat(begin(b).getHoldersList()).containsExactly(a);
    table.apply(Command.newBuilder().setRenew(RenewSession.newBuilder().setSession(a)).build());
    expire(a, 0); // decided before the renewal: ignored
    assertThat(table.hasSession(a)).isTrue();
    expire(a, 1);
    assertThat(table.hasSession(a)).isFalse();
    assertThat(grant(b).getMode()).isEqualTo(Mode.WRITE);
    assertThat(read(a).getOutcome()).isEqualTo(Outcome.NO_SESSION);
  }

  @Test
  void aWriterThatEndsWithoutCommittingLeavesTheElementInDoubt() {
    long a = register("a");
    long b = register("b");
    long epoch = begin(a).getEpoch();
    commit(a, epoch, "known");
    release(a);
    begin(a);
    expire(a, 0); // died mid-write: the origin may hold its bytes
    CommandResult r = read(b);
    assertThat(r.getVersion().getKnown()).isFalse(); // readers will ask the origin

    long e2 = begin(b).getEpoch();
    table.apply(
        Command.newBuilder()
            .setAbort(
                AbortWrite.newBuilder()
                    .setSession(b)
                    .setElement(E)
                    .setEpoch(e2)
                    .setUncertain(false))
            .build());
    assertThat(read(b).getVersion()).isEqualTo(r.getVersion()); // a clean abort changes nothing
  }

  @Test
  void registeringASiteAgainEndsItsEarlierSession() {
    long first = register("a");
    read(first);
    long second = register("a");
    assertThat(second).isGreaterThan(first);
    assertThat(table.hasSession(first)).isFalse();
    long b = register("b");
    assertThat(begin(b).getMode()).isEqualTo(Mode.WRITE);
  }

  @Test
  void aSnapshotRestoresTheSameTable() {
    long a = register("a");
    long b = register("b");
    read(a);
    long epoch = begin(b).getHoldersCount() == 1 ? 0 : -1;
    assertThat(epoch).isZero();
    LeaseTable copy = new LeaseTable();
    copy.restore(table.snapshot());
    assertThat(copy.snapshot()).isEqualTo(table.snapshot());
    // And it keeps working the same way: A's release lets B's write through.
    copy.apply(
        Command.newBuilder()
            .setRelease(ReleaseLeases.newBuilder().setSession(a).addElements(E))
            .build());
    CommandResult granted =
        copy.apply(
            Command.newBuilder()
                .setGrantWrite(GrantWrite.newBuilder().setSession(b).setElement(E))
                .build());
    assertThat(granted.getMode()).isEqualTo(Mode.WRITE);
  }

  @Test
  void readsOfElementsNoOneWroteLeaveNothingBehind() {
    long a = register("a");
    read(a);
    release(a);
    assertThat(table.snapshot().getElementsList()).isEmpty();
  }

  @Test
  void aBucketIsBoundToTheFirstOriginNamedAndKeptInSnapshots() {
    assertThat(bind("photos", "file:///srv/origin/").getOrigin()).isEqualTo("file:///srv/origin/");
    assertThat(bind("photos", "s3://elsewhere:9000 (region us-east-1)").getOrigin())
        .isEqualTo("file:///srv/origin/");
    LeaseTable copy = new LeaseTable();
    copy.restore(table.snapshot());
    assertThat(copy.snapshot().getBucketOriginsMap())
        .containsExactly(java.util.Map.entry("photos", "file:///srv/origin/"));
  }

  private CommandResult bind(String bucket, String origin) {
    return table.apply(
        Command.newBuilder()
            .setBindBucket(
                dev.leasehold.protocol.BindBucket.newBuilder().setBucket(bucket).setOrigin(origin))
            .build());
  }

  @Test
  void inspectNamesTheSitesThatHoldOrWaitInKeyOrder() {
    long a = register("a");
    long b = register("b");
    read(a);
    begin(b); // waits for A's READ to be recalled
    CommandResult r =
        table.apply(
            Command.newBuilder()
                .setInspect(
                    dev.leasehold.protocol.InspectElements.newBuilder()
                        .setBucket(E.getBucket())
                        .setPrefix(""))
                .build());
    assertThat(r.getElementsList()).hasSize(1);
    var view = r.getElements(0);
    assertThat(view.getKey()).isEqualTo(E.getKey());
    assertThat(view.getReadersList()).containsExactly("a");
    assertThat(view.getPendingWriter()).isEqualTo("b");
    assertThat(view.getWriter()).isEmpty();
  }

  @Test
  void beyondItsCapTheTableForgetsIdleElementsButNeverAnEpochOrAHeldLease() {
    LeaseTable small = new LeaseTable(3);
    long a =
        small
            .apply(
                Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite("a")).build())
            .getSession();
    long b =
        small
            .apply(
                Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite("b")).build())
            .getSession();
    long lastEpoch = 0;
    for (int i = 0; i < 10; i++) {
      Element e = Element.newBuilder().setBucket("b").setKey("k" + i).build();
      CommandResult granted =
          small.apply(
              Command.newBuilder()
                  .setBeginWrite(BeginWrite.newBuilder().setSession(a).setElement(e))
                  .build());
      assertThat(granted.getEpoch()).isGreaterThan(lastEpoch); // epochs are table-wide
      lastEpoch = granted.getEpoch();
      small.apply(
          Command.newBuilder()
              .setCommit(
                  CommitWrite.newBuilder()
                      .setSession(a)
                      .setElement(e)
                      .setEpoch(granted.getEpoch())
                      .setVersion(VersionInfo.newBuilder().setExists(true).setEtag("e" + i)))
              .build());
      small.apply(
          Command.newBuilder()
              .setRelease(ReleaseLeases.newBuilder().setSession(a).addElements(e))
              .build());
      if (i == 0) {
        // B holds k0: it must never be forgotten.
        small.apply(
            Command.newBuilder()
                .setAcquireRead(AcquireRead.newBuilder().setSession(b).setElement(e))
                .build());
      }
    }
    assertThat(small.snapshot().getElementsCount()).isEqualTo(3);
    assertThat(small.snapshot().getElementsList())
        .extracting(es -> es.getElement().getKey())
        .contains("k0", "k9");
    // A forgotten element comes back unknown (readers ask the origin), with a new epoch.
    Element k1 = Element.newBuilder().setBucket("b").setKey("k1").build();
    CommandResult read =
        small.apply(
            Command.newBuilder()
                .setAcquireRead(AcquireRead.newBuilder().setSession(a).setElement(k1))
                .build());
    assertThat(read.getVersion().getKnown()).isFalse();
    small.apply(
        Command.newBuilder()
            .setRelease(ReleaseLeases.newBuilder().setSession(a).addElements(k1))
            .build());
    CommandResult again =
        small.apply(
            Command.newBuilder()
                .setBeginWrite(BeginWrite.newBuilder().setSession(a).setElement(k1))
                .build());
    assertThat(again.getEpoch()).isGreaterThan(lastEpoch);
    // And a snapshot keeps the table-wide epoch.
    LeaseTable copy = new LeaseTable(3);
    copy.restore(small.snapshot());
    assertThat(copy.snapshot().getLastEpoch()).isEqualTo(again.getEpoch());
  }
}
