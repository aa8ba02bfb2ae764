package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.WriteCondition;
import org.jspecify.annotations.Nullable;

/**
 * A WRITE lease: the site may change the element, and must commit the change with this grant's
 * epoch (the fencing token). In a write-back bucket the site keeps the grant after a dirty commit:
 * it owns the element, and the lease names the latest version (in the journal) and the last one at
 * the origin, which a flush is fenced on. Immutable; a new value replaces it after each commit.
 *
 * @param known whether {@code info} describes the element's current version
 * @param info the current version (null with {@code known}: the element does not exist)
 * @param writeBack whether the grant is write-back (commit dirty, keep the grant)
 * @param journalSeq the journal entry of the dirty version, or 0 when clean
 * @param cleanKnown whether {@code clean} describes the version at the origin
 * @param clean the version at the origin (null with {@code cleanKnown}: none)
 * @param underPrefix whether the write is under a prefix lease this site holds: the coordinator
 *     knows nothing of the key, and this site answers for it alone
 */
public record WriteLease(
    String bucket,
    String key,
    long session,
    long epoch,
    long version,
    boolean known,
    @Nullable ObjectInfo info,
    boolean writeBack,
    long journalSeq,
    boolean cleanKnown,
    @Nullable ObjectInfo clean,
    boolean underPrefix) {

  public WriteLease(
      String bucket,
      String key,
      long session,
      long epoch,
      long version,
      boolean known,
      @Nullable ObjectInfo info,
      boolean writeBack,
      long journalSeq,
      boolean cleanKnown,
      @Nullable ObjectInfo clean) {
    this(
        bucket,
        key,
        session,
        epoch,
        version,
        known,
        info,
        writeBack,
        journalSeq,
        cleanKnown,
        clean,
        false);
  }

  /** A write-through grant. */
  public WriteLease(
      String bucket,
      String key,
      long session,
      long epoch,
      long version,
      boolean known,
      @Nullable ObjectInfo info) {
    this(bucket, key, session, epoch, version, known, info, false, 0, known, info);
  }

  /**
   * This lease after a write of {@code written} to journal entry {@code seq}, over {@code previous}
   * (the version before it, known or not): while clean, that is the version at the origin.
   */
  WriteLease dirtied(
      long newVersion,
      @Nullable ObjectInfo written,
      long seq,
      boolean previousKnown,
      @Nullable ObjectInfo previous) {
    return new WriteLease(
        bucket,
        key,
        session,
        epoch,
        newVersion,
        true,
        written,
        true,
        seq,
        dirty() ? cleanKnown : previousKnown,
        dirty() ? clean : previous,
        underPrefix);
  }

  /** This lease with the journal's latest version of its key (entry {@code seq}) adopted. */
  public WriteLease withLatest(@Nullable ObjectInfo latest, long seq) {
    return new WriteLease(
        bucket,
        key,
        session,
        epoch,
        version,
        true,
        latest,
        true,
        seq,
        cleanKnown,
        clean,
        underPrefix);
  }

  /**
   * A write of a key under a prefix lease held by {@code session} with {@code epoch}: nothing is
   * known of the key (the origin is the authority, and the coordinator knows nothing of it).
   */
  static WriteLease underPrefix(String bucket, String key, long session, long epoch) {
    return new WriteLease(bucket, key, session, epoch, 0, false, null, true, 0, false, null, true);
  }

  /**
   * {@link #underPrefix} for {@code prefix}, holding the journal's entry {@code seq} of the key.
   */
  public static WriteLease adoptedUnder(
      PrefixLease prefix, String key, @Nullable ObjectInfo latest, long seq) {
    return underPrefix(prefix.bucket(), key, prefix.session(), prefix.epoch())
        .withLatest(latest, seq);
  }

  /** This lease after a flush left {@code atOrigin} at the origin (clean if {@code clean}). */
  WriteLease flushed(@Nullable ObjectInfo atOrigin, boolean isClean) {
    return new WriteLease(
        bucket,
        key,
        session,
        epoch,
        version,
        true,
        isClean ? atOrigin : info,
        true,
        isClean ? 0 : journalSeq,
        true,
        atOrigin,
        underPrefix);
  }

  /** Whether the latest version is in this site's journal, not yet at the origin. */
  public boolean dirty() {
    return journalSeq != 0;
  }

  /**
   * The condition a flush puts under: the origin still holds the last clean version; null if that
   * is not known (ask the origin).
   */
  public @Nullable WriteCondition fence() {
    if (!cleanKnown) {
      return null;
    }
    return WriteCondition.heldAt(clean);
  }
}
