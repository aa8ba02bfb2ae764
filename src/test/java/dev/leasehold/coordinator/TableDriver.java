package dev.leasehold.coordinator;

import dev.leasehold.protocol.AbortWrite;
import dev.leasehold.protocol.AcquirePrefixLease;
import dev.leasehold.protocol.AcquireRead;
import dev.leasehold.protocol.BeginWrite;
import dev.leasehold.protocol.BindBucket;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.DeclareLost;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.ExpireSession;
import dev.leasehold.protocol.GrantWrite;
import dev.leasehold.protocol.InspectElements;
import dev.leasehold.protocol.MarkClean;
import dev.leasehold.protocol.ReadOverlay;
import dev.leasehold.protocol.ReclaimDirty;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.ReleaseLeases;
import dev.leasehold.protocol.ReleasePrefixLease;
import dev.leasehold.protocol.RenewSession;
import dev.leasehold.protocol.SetBucketMode;
import dev.leasehold.protocol.VersionInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives a {@link LeaseTable} through its one entry, {@code apply}, one command at a time, as the
 * Raft log would; every command applied is kept, so a test can replay them elsewhere. The tests of
 * each part of the table (sessions, element leases, write-back, prefix leases, buckets) use it.
 */
final class TableDriver {
  static final String BUCKET = "b";
  static final Element E = element("k");

  final LeaseTable table;
  final List<Command> applied = new ArrayList<>();

  TableDriver() {
    this(new LeaseTable());
  }

  TableDriver(LeaseTable table) {
    this.table = table;
  }

  static Element element(String key) {
    return Element.newBuilder().setBucket(BUCKET).setKey(key).build();
  }

  CommandResult apply(Command.Builder command) {
    Command c = command.build();
    applied.add(c);
    return table.apply(c);
  }

  long register(String site) {
    return apply(Command.newBuilder().setRegister(RegisterSession.newBuilder().setSite(site)))
        .getSession();
  }

  CommandResult renew(long s) {
    return apply(Command.newBuilder().setRenew(RenewSession.newBuilder().setSession(s)));
  }

  /** The leader expires {@code s}, having seen {@code renewalsSeen} renewals of it. */
  CommandResult expire(long s, long renewalsSeen) {
    return apply(
        Command.newBuilder()
            .setExpire(ExpireSession.newBuilder().setSession(s).setRenewalsSeen(renewalsSeen)));
  }

  /** The leader expires {@code s} with no renewal since it decided to. */
  CommandResult expire(long s) {
    return expire(s, table.renewals(s));
  }

  CommandResult read(long s) {
    return read(s, E);
  }

  CommandResult read(long s, Element e) {
    return apply(
        Command.newBuilder().setAcquireRead(AcquireRead.newBuilder().setSession(s).setElement(e)));
  }

  CommandResult begin(long s) {
    return begin(s, E);
  }

  CommandResult begin(long s, Element e) {
    return begin(s, e, false);
  }

  /** {@code s} claims WRITE of E early: it may write the origin while readers are recalled. */
  CommandResult beginEarly(long s) {
    return begin(s, E, true);
  }

  CommandResult begin(long s, Element e, boolean early) {
    return apply(
        Command.newBuilder()
            .setBeginWrite(BeginWrite.newBuilder().setSession(s).setElement(e).setEarly(early)));
  }

  CommandResult grant(long s) {
    return apply(
        Command.newBuilder().setGrantWrite(GrantWrite.newBuilder().setSession(s).setElement(E)));
  }

  CommandResult commit(long s, long epoch, String etag) {
    return commit(s, E, epoch, etag, false, 0);
  }

  CommandResult commit(long s, long epoch, String etag, boolean dirty, long seq) {
    return commit(s, E, epoch, etag, dirty, seq);
  }

  CommandResult commit(long s, Element e, long epoch, String etag, boolean dirty, long seq) {
    return apply(
        Command.newBuilder()
            .setCommit(
                CommitWrite.newBuilder()
                    .setSession(s)
                    .setElement(e)
                    .setEpoch(epoch)
                    .setDirty(dirty)
                    .setJournalSeq(seq)
                    .setVersion(VersionInfo.newBuilder().setExists(true).setEtag(etag))));
  }

  CommandResult abort(long s, long epoch, boolean uncertain) {
    return abort(s, E, epoch, uncertain);
  }

  CommandResult abort(long s, Element e, long epoch, boolean uncertain) {
    return apply(
        Command.newBuilder()
            .setAbort(
                AbortWrite.newBuilder()
                    .setSession(s)
                    .setElement(e)
                    .setEpoch(epoch)
                    .setUncertain(uncertain)));
  }

  CommandResult release(long s) {
    return release(s, E);
  }

  CommandResult release(long s, Element e) {
    return apply(
        Command.newBuilder().setRelease(ReleaseLeases.newBuilder().setSession(s).addElements(e)));
  }

  /** {@code s} withdraws its pending claim number {@code claim} of E, and nothing else. */
  CommandResult withdraw(long s, long claim) {
    return apply(
        Command.newBuilder()
            .setRelease(
                ReleaseLeases.newBuilder()
                    .setSession(s)
                    .addElements(E)
                    .addGrants(0)
                    .addClaims(claim)));
  }

  /** {@code s} releases its READ grant {@code grant} of E (as a recall or an eviction does). */
  CommandResult releaseGrant(long s, long grant) {
    return apply(
        Command.newBuilder()
            .setRelease(ReleaseLeases.newBuilder().setSession(s).addElements(E).addGrants(grant)));
  }

  /** The owner flushed {@code version} of E (ETag {@code etag}); with release, it hands over. */
  CommandResult clean(long s, long epoch, long version, String etag, boolean release) {
    return clean(s, E, epoch, version, etag, release);
  }

  CommandResult clean(long s, Element e, long epoch, long version, String etag, boolean release) {
    return apply(
        Command.newBuilder()
            .setMarkClean(
                MarkClean.newBuilder()
                    .setSession(s)
                    .setElement(e)
                    .setEpoch(epoch)
                    .setRelease(release)
                    .setVersion(
                        VersionInfo.newBuilder()
                            .setVersion(version)
                            .setExists(true)
                            .setEtag(etag))));
  }

  CommandResult writeBack(boolean on) {
    return apply(
        Command.newBuilder()
            .setSetBucketMode(SetBucketMode.newBuilder().setBucket(BUCKET).setWriteBack(on)));
  }

  CommandResult overlay() {
    return apply(
        Command.newBuilder().setOverlay(ReadOverlay.newBuilder().setBucket(BUCKET).setPrefix("")));
  }

  CommandResult reclaim(long s) {
    return apply(Command.newBuilder().setReclaim(ReclaimDirty.newBuilder().setSession(s)));
  }

  CommandResult declareLost(String site) {
    return apply(Command.newBuilder().setDeclareLost(DeclareLost.newBuilder().setSite(site)));
  }

  CommandResult acquirePrefix(long s, String prefix) {
    return apply(
        Command.newBuilder()
            .setAcquirePrefix(
                AcquirePrefixLease.newBuilder().setSession(s).setBucket(BUCKET).setPrefix(prefix)));
  }

  CommandResult releasePrefix(long s, String prefix, long epoch) {
    return apply(
        Command.newBuilder()
            .setReleasePrefix(
                ReleasePrefixLease.newBuilder()
                    .setSession(s)
                    .setBucket(BUCKET)
                    .setPrefix(prefix)
                    .setEpoch(epoch)));
  }

  CommandResult bind(String bucket, String origin) {
    return apply(
        Command.newBuilder()
            .setBindBucket(BindBucket.newBuilder().setBucket(bucket).setOrigin(origin)));
  }

  CommandResult inspect() {
    return apply(
        Command.newBuilder()
            .setInspect(InspectElements.newBuilder().setBucket(BUCKET).setPrefix("")));
  }

  /** Site a's session, holding WRITE(E) with {@code epoch}, and site b's session. */
  record Owner(long a, long b, long epoch) {}

  /**
   * A table where the bucket is write-back (every site has renewed twice since the switch) and site
   * "a" holds WRITE(E): answers a's session, b's session and a's epoch.
   */
  Owner owner() {
    long a = register("a");
    long b = register("b");
    writeBack(true);
    for (int i = 0; i < 2; i++) {
      renew(a);
      renew(b);
    }
    CommandResult w = begin(a);
    if (!w.getWriteBack()) {
      throw new AssertionError("the bucket should be write-back by now: " + w);
    }
    return new Owner(a, b, w.getEpoch());
  }
}
