package dev.leasehold.coordinator;

import static dev.leasehold.coordinator.TableDriver.E;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import org.junit.jupiter.api.Test;

/**
 * READ and WRITE leases of one element (docs/protocol.md, Leases and Writes), command by command.
 */
class ElementLeasesTest {
  final TableDriver t = new TableDriver();

  @Test
  void readersShareAndAWriterRecallsThemFirst() {
    long a = t.register("a");
    long b = t.register("b");
    long c = t.register("c");
    assertThat(t.read(a).getMode()).isEqualTo(Mode.READ);
    assertThat(t.read(b).getMode()).isEqualTo(Mode.READ);

    CommandResult begun = t.begin(c);
    assertThat(begun.getMode()).isEqualTo(Mode.MODE_UNSPECIFIED);
    assertThat(begun.getHoldersList()).containsExactly(a, b);
    // While C waits, no new reader is admitted, and C is not yet granted.
    assertThat(t.read(a).getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(t.grant(c).getHoldersList()).containsExactly(a, b);

    t.release(a);
    assertThat(t.grant(c).getHoldersList()).containsExactly(b);
    t.release(b);
    CommandResult granted = t.grant(c);
    assertThat(granted.getMode()).isEqualTo(Mode.WRITE);
    assertThat(granted.getEpoch()).isEqualTo(1);
  }

  /**
   * A release that reaches the table after a newer grant of the element to the same session (a
   * release call retried at a new leader after the first attempt was committed, or a late batch)
   * must not end the newer grant: that site still serves under it, so a writer elsewhere must
   * recall it first. Found by LinearizabilityIT (the leader stopped): a site served a version two
   * writes old.
   */
  @Test
  void aLateReleaseEndsOnlyTheGrantItNames() {
    long a = t.register("a");
    long b = t.register("b");
    long first = t.read(a).getReadGrant();
    assertThat(first).isPositive();
    CommandResult begun = t.begin(b);
    assertThat(begun.getHoldersList()).containsExactly(a);
    assertThat(begun.getHolderGrantsList()).containsExactly(first);
    t.releaseGrant(a, first); // A answers the recall
    CommandResult w = t.grant(b);
    assertThat(w.getMode()).isEqualTo(Mode.WRITE);
    t.commit(b, w.getEpoch(), "etag-1");
    long second = t.read(a).getReadGrant();
    assertThat(second).isGreaterThan(first);

    t.releaseGrant(a, first); // the same release, applied again, late

    CommandResult next = t.begin(b);
    assertThat(next.getHoldersList()).as("A still holds its newer grant").containsExactly(a);
    assertThat(next.getHolderGrantsList()).containsExactly(second);
    t.releaseGrant(a, second);
    assertThat(t.grant(b).getMode()).isEqualTo(Mode.WRITE);
  }

  @Test
  void aCommitBumpsTheVersionAndDowngradesToRead() {
    long a = t.register("a");
    long b = t.register("b");
    CommandResult w = t.begin(a);
    assertThat(w.getMode()).isEqualTo(Mode.WRITE);
    assertThat(t.read(b).getOutcome()).isEqualTo(Outcome.BUSY);
    CommandResult done = t.commit(a, w.getEpoch(), "etag-1");
    assertThat(done.getOutcome()).isEqualTo(Outcome.OK);
    assertThat(done.getVersion().getVersion()).isEqualTo(1);
    assertThat(done.getVersion().getKnown()).isTrue();
    CommandResult r = t.read(b);
    assertThat(r.getMode()).isEqualTo(Mode.READ);
    assertThat(r.getVersion().getEtag()).isEqualTo("etag-1");
    // The writer kept a READ lease: a new writer must recall it.
    assertThat(t.begin(b).getHoldersList()).containsExactly(a);
  }

  @Test
  void aStaleEpochIsRefused() {
    long a = t.register("a");
    long b = t.register("b");
    long epoch1 = t.begin(a).getEpoch();
    assertThat(t.commit(a, epoch1, "x").getOutcome()).isEqualTo(Outcome.OK);
    t.release(a);
    long epoch2 = t.begin(b).getEpoch();
    assertThat(epoch2).isGreaterThan(epoch1);
    // A's grant is over: a commit with its epoch is refused, as is one from the wrong session.
    assertThat(t.commit(a, epoch1, "late").getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    assertThat(t.commit(a, epoch2, "impostor").getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    assertThat(t.abort(a, epoch2, true).getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
    assertThat(t.commit(b, epoch2, "y").getOutcome()).isEqualTo(Outcome.OK);
    assertThat(t.commit(b, epoch2, "again").getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
  }

  @Test
  void aWriterThatEndsWithoutCommittingLeavesTheElementInDoubt() {
    long a = t.register("a");
    long b = t.register("b");
    long epoch = t.begin(a).getEpoch();
    t.commit(a, epoch, "known");
    t.release(a);
    t.begin(a);
    t.expire(a, 0); // died mid-write: the origin may hold its bytes
    CommandResult r = t.read(b);
    assertThat(r.getVersion().getKnown()).isFalse(); // readers will ask the origin

    long e2 = t.begin(b).getEpoch();
    t.abort(b, e2, false);
    assertThat(t.read(b).getVersion()).isEqualTo(r.getVersion()); // a clean abort changes nothing
    long e3 = t.begin(b).getEpoch();
    assertThat(e3).isGreaterThan(e2);
    t.abort(b, e3, true); // a write that failed without a clear answer: in doubt again
    assertThat(t.read(b).getVersion().getKnown()).isFalse();
  }

  @Test
  void aReleasedWriteGrantLeavesTheElementInDoubt() {
    long a = t.register("a");
    long b = t.register("b");
    t.commit(a, t.begin(a).getEpoch(), "known");
    t.release(a);
    long epoch = t.begin(a).getEpoch();
    t.release(a); // gave WRITE back without a commit: it may have written
    CommandResult r = t.read(b);
    assertThat(r.getMode()).isEqualTo(Mode.READ);
    assertThat(r.getVersion().getKnown()).isFalse();
    assertThat(t.commit(a, epoch, "late").getOutcome()).isEqualTo(Outcome.STALE_EPOCH);
  }

  /**
   * docs/protocol.md, Writes: the origin write beside the recall. A claim asked early that must
   * recall readers is fenced at the version the table knows; while it waits, no session reads E,
   * not even the claimant's own, so nobody learns the new version from the origin before the grant.
   */
  @Test
  void anEarlyClaimThatMustRecallIsFencedAndBarsEveryReaderItsOwnToo() {
    long a = t.register("a");
    long b = t.register("b");
    t.commit(a, t.begin(a).getEpoch(), "etag-1"); // A keeps READ on a known version
    CommandResult claim = t.beginEarly(b);
    assertThat(claim.getMode()).isEqualTo(Mode.MODE_UNSPECIFIED);
    assertThat(claim.getFenced()).isTrue();
    assertThat(claim.getHoldersList()).containsExactly(a);
    assertThat(claim.getVersion().getKnown()).isTrue();
    assertThat(claim.getVersion().getEtag()).isEqualTo("etag-1");

    assertThat(t.read(b).getOutcome()).as("the claimant's own read").isEqualTo(Outcome.BUSY);
    assertThat(t.read(t.register("c")).getOutcome()).isEqualTo(Outcome.BUSY);
    assertThat(t.begin(b).getFenced()).as("asked again, still fenced").isTrue();

    t.release(a);
    CommandResult granted = t.grant(b);
    assertThat(granted.getMode()).isEqualTo(Mode.WRITE);
    assertThat(granted.getVersion()).isEqualTo(claim.getVersion());
    t.commit(b, granted.getEpoch(), "etag-2");
    assertThat(t.read(a).getVersion().getEtag()).isEqualTo("etag-2");
  }

  /** Only a claim that waits, of a clean known version in a write-through bucket, is fenced. */
  @Test
  void noOtherClaimIsFenced() {
    long a = t.register("a");
    long b = t.register("b");
    t.read(a); // a version the table does not know
    CommandResult unknown = t.beginEarly(b);
    assertThat(unknown.getHoldersList()).containsExactly(a);
    assertThat(unknown.getFenced()).isFalse();
    assertThat(t.read(b).getMode()).as("an unfenced claimant reads").isEqualTo(Mode.READ);
    t.release(a);
    t.release(b);

    CommandResult alone = t.beginEarly(b); // nobody to recall: granted at once
    assertThat(alone.getMode()).isEqualTo(Mode.WRITE);
    assertThat(alone.getFenced()).isFalse();
    t.commit(b, alone.getEpoch(), "etag-1");

    t.writeBack(true);
    t.renew(a);
    t.renew(a);
    t.renew(b);
    t.renew(b); // the switch to write-back takes effect once every session heard it
    assertThat(t.read(a).getMode()).isEqualTo(Mode.READ);
    CommandResult writeBack = t.beginEarly(t.register("c"));
    assertThat(writeBack.getHoldersCount()).isPositive();
    assertThat(writeBack.getFenced()).as("write-back").isFalse();
  }

  /**
   * docs/protocol.md, Writes: Doubt. A fenced claim withdrawn without a grant may have written the
   * origin while A and C still hold READ at the version before: the version is unknown, and no one
   * is granted READ until A and C are both gone. A writer may claim meanwhile, never fenced.
   */
  @Test
  void aFencedClaimWithdrawnLeavesTheElementInDoubtBehindItsReaders() {
    long a = t.register("a");
    long b = t.register("b");
    long c = t.register("c");
    long d = t.register("d");
    t.commit(a, t.begin(a).getEpoch(), "etag-1");
    assertThat(t.read(c).getMode()).isEqualTo(Mode.READ);
    assertThat(t.beginEarly(b).getFenced()).isTrue();

    t.release(b); // its origin write ended without a grant: the site withdraws the claim
    CommandResult waits = t.read(d);
    assertThat(waits.getOutcome()).as("a new reader").isEqualTo(Outcome.BUSY);
    assertThat(waits.getHoldersList()).as("the readers to recall").containsExactly(a, c);
    assertThat(t.read(a).getOutcome()).as("an old reader, C still reads").isEqualTo(Outcome.BUSY);
    LeaseTable copy = new LeaseTable();
    copy.restore(t.table.snapshot());
    assertThat(new TableDriver(copy).read(d).getOutcome()).as("restored").isEqualTo(Outcome.BUSY);

    CommandResult other = t.beginEarly(d);
    assertThat(other.getHoldersList()).containsExactly(a, c);
    assertThat(other.getFenced()).as("the version is unknown").isFalse();
    t.release(d);
    t.release(c);
    CommandResult last = t.read(a); // only A itself is left: its own grant ends the doubt
    assertThat(last.getMode()).isEqualTo(Mode.READ);
    assertThat(last.getVersion().getKnown()).isFalse();
    assertThat(t.read(d).getMode()).isEqualTo(Mode.READ);
  }

  /**
   * A withdrawal names its claim: applied late (a retried call, a slow leader), after the site
   * claimed the element again, it leaves the newer claim alone, whose origin write may be under way
   * (docs/protocol.md, Writes: the origin write beside the recall).
   */
  @Test
  void aWithdrawalEndsOnlyTheClaimItNames() {
    long a = t.register("a");
    long b = t.register("b");
    t.commit(a, t.begin(a).getEpoch(), "etag-1");
    CommandResult first = t.beginEarly(b);
    assertThat(first.getClaim()).isPositive();
    t.withdraw(b, first.getClaim());
    assertThat(t.read(t.register("c")).getOutcome())
        .as("in doubt behind A")
        .isEqualTo(Outcome.BUSY);

    CommandResult second = t.beginEarly(b); // its version is unknown now: not fenced
    assertThat(second.getClaim()).isGreaterThan(first.getClaim());
    t.withdraw(b, first.getClaim()); // the first withdrawal, again, late
    assertThat(t.begin(b).getClaim()).as("still claimed").isEqualTo(second.getClaim());
    t.release(a);
    assertThat(t.grant(b).getMode()).isEqualTo(Mode.WRITE);
  }

  /** A fenced claimant whose session expires leaves the same doubt behind the readers. */
  @Test
  void aFencedClaimantThatExpiresLeavesTheElementInDoubt() {
    long a = t.register("a");
    long b = t.register("b");
    t.commit(a, t.begin(a).getEpoch(), "etag-1");
    assertThat(t.beginEarly(b).getFenced()).isTrue();
    t.expire(b);
    assertThat(t.read(t.register("c")).getOutcome()).isEqualTo(Outcome.BUSY);
    t.release(a);
    CommandResult r = t.read(t.register("d"));
    assertThat(r.getMode()).isEqualTo(Mode.READ);
    assertThat(r.getVersion().getKnown()).isFalse();
  }

  /**
   * docs/protocol.md, Reads: the origin beside the grant. A READ grant names the table's change
   * count when the element's version last changed; the count moves with every new version, an
   * element the table adds inherits that of the last one it forgot, and a prefix lease's end (its
   * holder wrote unseen) moves it for every key. Renewals report the count.
   */
  @Test
  void aGrantNamesWhenItsElementLastChanged() {
    long a = t.register("a");
    long b = t.register("b");
    CommandResult fresh = t.read(a);
    long before = fresh.getChanges();
    assertThat(fresh.getChangedAt()).isPositive().isLessThanOrEqualTo(before);
    t.release(a); // forgotten: no write ever changed it
    assertThat(t.read(b, TableDriver.element("other")).getChangedAt())
        .isEqualTo(fresh.getChangedAt());

    long epoch = t.begin(a).getEpoch();
    t.abort(a, epoch, true); // in doubt: a new, unknown version, and forgotten (no one leases it)
    CommandResult again = t.read(b);
    assertThat(again.getVersion().getKnown()).isFalse();
    assertThat(again.getChangedAt()).isGreaterThan(before).isLessThan(again.getChanges());
    assertThat(t.read(b, TableDriver.element("new")).getChangedAt())
        .as("an element added after one in doubt was forgotten")
        .isEqualTo(again.getChangedAt());
    assertThat(t.renew(a).getChanges()).isGreaterThan(again.getChanges());

    t.writeBack(true); // prefix leases are write-back: in effect once every session renewed twice
    for (int i = 0; i < 2; i++) {
      t.renew(a);
      t.renew(b);
    }
    CommandResult prefix = t.acquirePrefix(a, "dir/");
    assertThat(prefix.getMode()).isEqualTo(Mode.WRITE);
    assertThat(t.releasePrefix(a, "dir/", prefix.getEpoch()).getOutcome()).isEqualTo(Outcome.OK);
    CommandResult under = t.read(b, TableDriver.element("dir/unseen"));
    assertThat(under.getChangedAt()).isGreaterThan(again.getChanges());
  }

  @Test
  void readsOfElementsNoOneWroteLeaveNothingBehind() {
    long a = t.register("a");
    t.read(a);
    t.release(a);
    assertThat(t.table.snapshot().getElementsList()).isEmpty();
  }

  @Test
  void inspectNamesTheSitesThatHoldOrWaitInKeyOrder() {
    long a = t.register("a");
    long b = t.register("b");
    t.read(a);
    t.begin(b); // waits for A's READ to be recalled
    t.read(a, TableDriver.element("a-first"));
    CommandResult r = t.inspect();
    assertThat(r.getElementsList()).extracting(v -> v.getKey()).containsExactly("a-first", "k");
    var view = r.getElements(1);
    assertThat(view.getKey()).isEqualTo(E.getKey());
    assertThat(view.getReadersList()).containsExactly("a");
    assertThat(view.getPendingWriter()).isEqualTo("b");
    assertThat(view.getWriter()).isEmpty();
  }
}
