package dev.leasehold.coordinator;

import static dev.leasehold.coordinator.LeaseTable.ok;
import static dev.leasehold.coordinator.LeaseTable.result;

import dev.leasehold.object.KeyOrder;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.DirtyElement;
import dev.leasehold.protocol.ElementState;
import dev.leasehold.protocol.MarkClean;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.OwnedElement;
import dev.leasehold.protocol.OwnedPrefix;
import dev.leasehold.protocol.PrefixOwner;
import dev.leasehold.protocol.VersionInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Write-back's state in the lease table, and its rules (docs/protocol.md, Writes and Ownership of
 * unflushed data): which elements are dirty at which site, with the owner's journal entry and the
 * last version the origin holds.
 *
 * <ul>
 *   <li>A dirty commit ({@link ElementLeases}) bumps the version, records the site it is dirty at
 *       and its journal entry, and keeps the writer its grant: the site owns the element.
 *   <li>A flush ({@code MarkClean}) makes the flushed version the element's last clean one, and the
 *       element clean if nothing newer was committed meanwhile; with {@code release} it also ends
 *       the grant. A dirty element is never released nor aborted away.
 *   <li>A session that ends leaves its dirty elements dirty at its site, with no writer: every READ
 *       or WRITE of them is {@code OWNER_DOWN} until the site registers again and reclaims them
 *       ({@code ReclaimDirty}: a new grant each), or an operator declares it lost ({@code
 *       DeclareLost}): they fall back to their last clean version, and the answer names them.
 *   <li>Dirty elements are never forgotten ({@link Elements#trim} keeps them).
 * </ul>
 *
 * <p>Snapshot part: each dirty element's {@code dirty_at}, {@code journal_seq} and {@code clean},
 * inside its {@code ElementState} ({@link Dirty#snapshot}); the index of dirty elements and the
 * per-bucket counts are rebuilt from them ({@link #restore}).
 *
 * <p><b>Threading.</b> Part of the {@link LeaseTable}: confined to the state machine's apply
 * thread.
 */
final class WriteBack {
  /** Where an element's latest version is dirty. */
  static final class Dirty {
    final String site;

    /** The dirty version's entry in the owner's journal. */
    long journalSeq;

    /** The last version the origin holds: what a flush is fenced on, and a loss falls back to. */
    VersionInfo clean;

    Dirty(String site, VersionInfo clean) {
      this.site = site;
      this.clean = clean;
    }

    void snapshot(ElementState.Builder s) {
      s.setDirtyAt(site).setJournalSeq(journalSeq).setClean(clean);
    }

    static @Nullable Dirty restore(ElementState s) {
      if (s.getDirtyAt().isEmpty()) {
        return null;
      }
      Dirty d = new Dirty(s.getDirtyAt(), s.getClean());
      d.journalSeq = s.getJournalSeq();
      return d;
    }
  }

  private final Elements elements;
  private final Sessions sessions;
  private final PrefixLeases prefixes;

  /** The dirty elements, in the order they became dirty. */
  private final Set<ElementKey> dirty = new LinkedHashSet<>();

  /** How many dirty elements each bucket holds: a LIST there merges the overlay while any. */
  private final Map<String, Integer> dirtyCounts = new LinkedHashMap<>();

  WriteBack(Elements elements, Sessions sessions, PrefixLeases prefixes) {
    this.elements = elements;
    this.sessions = sessions;
    this.prefixes = prefixes;
  }

  /** Records a dirty commit of a version at {@code site}, over {@code clean} if it was clean. */
  void committed(ElementKey key, Elements.Entry e, String site, VersionInfo clean, long seq) {
    if (e.dirty == null) {
      e.dirty = new Dirty(site, clean);
      if (dirty.add(key)) {
        dirtyCounts.merge(key.bucket(), 1, Integer::sum);
      }
    }
    e.dirty.journalSeq = seq;
  }

  /** The origin holds the element's latest version now. */
  void clean(ElementKey key, Elements.Entry e) {
    e.dirty = null;
    if (dirty.remove(key)) {
      dirtyCounts.computeIfPresent(key.bucket(), (b, n) -> n <= 1 ? null : n - 1);
    }
  }

  /** The owner flushed a version of the element to the origin. */
  CommandResult flushed(MarkClean m) {
    ElementKey key = ElementKey.of(m.getElement());
    long session = m.getSession();
    Elements.Entry e = elements.get(key);
    long flushed = m.getVersion().getVersion();
    if (e == null
        || e.writer != session
        || e.epoch != m.getEpoch()
        || flushed > e.version.getVersion()) {
      return result(Outcome.STALE_EPOCH).build();
    }
    VersionInfo info = m.getVersion().toBuilder().setKnown(true).build();
    if (e.dirty != null && flushed < e.version.getVersion()) {
      e.dirty.clean = info; // a newer version is dirty still; this one is at the origin now
      return ok().setClean(false).build();
    }
    if (e.dirty != null) {
      elements.version(e, info);
      clean(key, e);
    }
    if (m.getRelease()) {
      e.writer = 0;
      sessions.released(session, key);
    }
    return ok().setClean(true).setVersion(e.version).build();
  }

  /** A site registered again: it takes back, each under a new grant, what is dirty at it. */
  CommandResult reclaim(long session) {
    Sessions.Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    CommandResult.Builder r = ok().setSession(session);
    // In key order, not the set's: epochs are handed out in this loop, and a peer that restored
    // a snapshot holds the set in another order (every peer must give the same epochs).
    List<ElementKey> mine = new ArrayList<>();
    for (ElementKey key : dirty) {
      Elements.Entry e = elements.get(key);
      if (e != null
          && e.dirty != null
          && e.dirty.site.equals(s.site)
          && (e.writer == 0 || e.writer == session)) {
        mine.add(key);
      }
    }
    mine.sort(ElementKey.ORDER);
    for (ElementKey key : mine) {
      Elements.Entry e = elements.get(key);
      if (e == null || e.dirty == null) {
        continue;
      }
      if (e.writer == 0) {
        e.writer = session;
        e.epoch = elements.nextEpoch();
      }
      s.held.add(key);
      r.addOwned(
          OwnedElement.newBuilder()
              .setElement(key.proto())
              .setVersion(e.version)
              .setEpoch(e.epoch)
              .setJournalSeq(e.dirty.journalSeq)
              .setClean(e.dirty.clean));
    }
    for (Map.Entry<ElementKey, PrefixLeases.Lease> p : prefixes.all()) {
      PrefixLeases.Lease l = p.getValue();
      if (l.owner.equals(s.site) && (l.writer == 0 || l.writer == session)) {
        if (l.writer == 0) {
          l.writer = session;
          l.epoch = elements.nextEpoch();
        }
        r.addOwnedPrefixes(
            OwnedPrefix.newBuilder()
                .setBucket(p.getKey().bucket())
                .setPrefix(p.getKey().key())
                .setEpoch(l.epoch));
      }
    }
    return r.build();
  }

  /**
   * An operator declares a site lost: what is dirty at it falls back to its last clean version (a
   * new version number, so no lease of the lost one serves it), and its prefix leases end. The lost
   * elements and prefixes are answered, for the report.
   */
  CommandResult declareLost(String site) {
    if (!sessions.ofSite(site).isEmpty()) {
      // A site with a live session may still be serving what it owns until its own deadline
      // (docs/protocol.md, Sessions 2: the site always stops first): it is not lost yet.
      return result(Outcome.BUSY).setOwner(site).build();
    }
    CommandResult.Builder r = ok();
    // In key order, as in reclaim: a peer that restored a snapshot holds the index in another
    // order, and the order of the lookups here moves elements in the table's access order.
    List<ElementKey> sorted = new ArrayList<>(dirty);
    sorted.sort(ElementKey.ORDER);
    for (ElementKey key : sorted) {
      Elements.Entry e = elements.get(key);
      if (e == null || e.dirty == null || !e.dirty.site.equals(site)) {
        continue;
      }
      r.addDirty(
          DirtyElement.newBuilder()
              .setBucket(key.bucket())
              .setKey(key.key())
              .setVersion(e.version)
              .setSite(site));
      elements.version(e, e.dirty.clean.toBuilder().setVersion(e.version.getVersion() + 1).build());
      clean(key, e);
      elements.forgetIfIdle(key, e);
    }
    for (Map.Entry<ElementKey, PrefixLeases.Lease> p : prefixes.all()) {
      if (p.getValue().owner.equals(site)) {
        prefixes.remove(p.getKey());
        elements.forgetVersionsUnder(p.getKey());
        r.addLostPrefixes(p.getKey().bucket() + "/" + p.getKey().key());
      }
    }
    return r.build();
  }

  /**
   * The LIST overlay (docs/protocol.md, Listing): the dirty elements of a bucket under a prefix, in
   * key order, and the prefix leases overlapping it, each with its owner.
   */
  CommandResult overlay(String bucket, String prefix) {
    List<ElementKey> keys = new ArrayList<>();
    for (ElementKey key : dirty) {
      if (key.bucket().equals(bucket) && key.key().startsWith(prefix)) {
        keys.add(key);
      }
    }
    keys.sort((a, b) -> KeyOrder.compare(a.key(), b.key()));
    CommandResult.Builder r = ok();
    for (ElementKey key : keys) {
      Elements.Entry e = elements.get(key);
      if (e != null && e.dirty != null) {
        r.addDirty(
            DirtyElement.newBuilder()
                .setKey(key.key())
                .setVersion(e.version)
                .setSite(e.dirty.site)
                .setAddress(sessions.peerAddressOf(e.writer))
                .setDown(e.writer == 0));
      }
    }
    for (Map.Entry<ElementKey, PrefixLeases.Lease> p : prefixes.overlapping(bucket, prefix)) {
      PrefixLeases.Lease l = p.getValue();
      r.addPrefixOwners(
          PrefixOwner.newBuilder()
              .setPrefix(p.getKey().key())
              .setSite(l.owner)
              .setAddress(sessions.peerAddressOf(l.writer))
              .setDown(l.writer == 0));
    }
    return r.build();
  }

  /** The buckets that hold dirty elements. */
  Set<String> dirtyBuckets() {
    return dirtyCounts.keySet();
  }

  int size() {
    return dirty.size();
  }

  /** Rebuilds the index of dirty elements from the restored {@link Elements}. */
  void restore() {
    dirty.clear();
    dirtyCounts.clear();
    for (Map.Entry<ElementKey, Elements.Entry> me : elements.all()) {
      if (me.getValue().dirty != null && dirty.add(me.getKey())) {
        dirtyCounts.merge(me.getKey().bucket(), 1, Integer::sum);
      }
    }
  }
}
