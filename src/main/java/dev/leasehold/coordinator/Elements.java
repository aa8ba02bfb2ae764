package dev.leasehold.coordinator;

import dev.leasehold.protocol.ElementState;
import dev.leasehold.protocol.TableSnapshot;
import dev.leasehold.protocol.VersionInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The elements of the lease table and their versions (docs/protocol.md, Leases and Writes): for
 * each element its latest version, the epoch of its last WRITE grant, the sessions that hold READ,
 * the one that holds WRITE and the one that waits for it, and, in a write-back bucket, where it is
 * dirty ({@link WriteBack}). Epochs come from one counter for the whole table, so no two grants
 * share one, even of an element the table forgot.
 *
 * <p><b>Forgetting.</b> The table keeps at most {@code maxElements}; {@link #trim} forgets the
 * least recently touched that no session leases and that are clean. A forgotten element's version
 * is unknown again: readers ask the origin, which holds every clean version.
 *
 * <p>Snapshot part: {@code elements} (with their dirty state, their readers' grants and the place
 * in the log of their last change), {@code last_epoch}, {@code last_read_grant}, {@code changes}
 * (the place of the last command applied) and {@code forgotten_changes}.
 *
 * <p><b>Threading.</b> Part of the {@link LeaseTable}: confined to the state machine's apply
 * thread.
 */
final class Elements {
  /** One element's leases and latest version. */
  static final class Entry {
    VersionInfo version = VersionInfo.getDefaultInstance();
    long epoch;

    /** Each reader's session, with the number of its READ grant. */
    final Map<Long, Long> readers = new LinkedHashMap<>();

    long writer;
    long pendingWriter;

    /**
     * The place in the log of the version's last change, or, for an element the table added, of the
     * latest version it had forgotten (docs/protocol.md, Reads).
     */
    long changedAt;

    /** The pending writer's claim: the place in the log of the command that made it. */
    long pendingClaim;

    /** Whether the pending writer may have written the origin already (it asked early). */
    boolean pendingFenced;

    /**
     * In doubt behind readers: a fenced pending writer ended without a grant while sessions held
     * READ at the version before; no READ is granted while another session still holds one.
     */
    boolean doubt;

    /** Write-back: where the latest version is dirty, or null when the origin holds it. */
    WriteBack.@Nullable Dirty dirty;

    boolean dirty() {
      return dirty != null;
    }

    /** No session waits for WRITE any more (granted, or withdrawn). */
    void endClaim() {
      pendingWriter = 0;
      pendingFenced = false;
      pendingClaim = 0;
    }

    /** Whether a session other than {@code session} holds READ. */
    boolean othersRead(long session) {
      return readers.size() > (readers.containsKey(session) ? 1 : 0);
    }

    boolean idle() {
      return readers.isEmpty() && writer == 0 && pendingWriter == 0 && dirty == null;
    }

    /** The session other than {@code session} that holds or waits for WRITE, or 0. */
    long otherWriter(long session) {
      if (writer != 0 && writer != session) {
        return writer;
      }
      if (pendingWriter != 0 && pendingWriter != session) {
        return pendingWriter;
      }
      return 0;
    }
  }

  /** In access order (least recently touched first): the order {@link #trim} forgets in. */
  private final LinkedHashMap<ElementKey, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

  /** The most elements the table keeps; beyond it, the least recently touched idle ones go. */
  private final int maxElements;

  /** The last epoch granted, table-wide: epochs never repeat, even for a forgotten element. */
  private long lastEpoch;

  /** The last READ grant number, table-wide: like epochs, they never repeat. */
  private long lastReadGrant;

  /**
   * The place in the log of the command being applied (entry index and position in the entry,
   * {@link Changes#point}): what a change made now is numbered with. Numbers are the log's, so they
   * are the same at every peer and only grow, whichever peer leads.
   */
  private long point = 1;

  /** The number of the latest version the table forgot: what an element it adds inherits. */
  private long forgotten = 1;

  Elements(int maxElements) {
    this.maxElements = maxElements;
  }

  @Nullable Entry get(ElementKey key) {
    return entries.get(key);
  }

  Entry getOrAdd(ElementKey key) {
    Entry e = entries.get(key);
    if (e == null) {
      e = new Entry();
      e.changedAt = forgotten; // it may have changed as late as the last one forgotten
      entries.put(key, e);
    }
    return e;
  }

  /** The command at {@code point} of the log is being applied: changes it makes carry it. */
  void at(long point) {
    this.point = Math.max(this.point, point);
  }

  /** Gives {@code e} version {@code v}: a change, numbered with the command's place in the log. */
  void version(Entry e, VersionInfo v) {
    e.version = v;
    e.changedAt = point;
  }

  /** The place of the command being applied: every change applied so far is at or below it. */
  long changes() {
    return point;
  }

  /** {@code e} leaves the table: an element added later inherits the place of its last change. */
  private void forgotten(Entry e) {
    forgotten = Math.max(forgotten, e.changedAt);
  }

  /** A new epoch, greater than every one granted before. */
  long nextEpoch() {
    return ++lastEpoch;
  }

  /**
   * Makes {@code session} a reader of {@code e} under a new READ grant, whose number (greater than
   * every one before) the release of the lease names.
   */
  long addReader(Entry e, long session) {
    long grant = ++lastReadGrant;
    e.readers.put(session, grant);
    return grant;
  }

  /** The elements of {@code bucket} whose keys start with {@code prefix}, in access order. */
  List<Map.Entry<ElementKey, Entry>> under(String bucket, String prefix) {
    List<Map.Entry<ElementKey, Entry>> out = new ArrayList<>();
    for (Map.Entry<ElementKey, Entry> me : entries.entrySet()) {
      ElementKey k = me.getKey();
      if (k.bucket().equals(bucket) && k.key().startsWith(prefix)) {
        out.add(me);
      }
    }
    return out;
  }

  /** A version that may have changed behind the coordinator's back: bumped, and unknown. */
  static VersionInfo unknown(VersionInfo v) {
    return VersionInfo.newBuilder().setVersion(v.getVersion() + 1).setKnown(false).build();
  }

  /**
   * Marks the versions of the clean elements under a prefix unknown: a prefix lease's holder writes
   * keys there without a word to the coordinator, so readers after it must ask the origin.
   */
  void forgetVersionsUnder(ElementKey prefix) {
    // Keys the table never held may have been written too: an element added later inherits this.
    forgotten = point;
    for (Map.Entry<ElementKey, Entry> me : under(prefix.bucket(), prefix.key())) {
      Entry e = me.getValue();
      if (!e.dirty()) {
        version(e, unknown(e.version));
        forgetIfIdle(me.getKey(), e);
      }
    }
  }

  /**
   * The pending writer withdrawn without a grant. One that was fenced may have written the origin
   * while readers hold the version before: the version is unknown, and the readers left keep the
   * element in doubt until the last one is gone (docs/protocol.md, Writes: Doubt).
   */
  void withdrawPending(Entry e) {
    if (e.pendingFenced) {
      version(e, unknown(e.version));
      e.doubt = !e.readers.isEmpty();
    }
    e.endClaim();
  }

  /**
   * Whether {@code session} must wait for READ because the element is in doubt behind other
   * readers; the doubt ends with the last of them.
   */
  static boolean inDoubtFor(Entry e, long session) {
    if (e.doubt && !e.othersRead(session)) {
      e.doubt = false;
    }
    return e.doubt;
  }

  /** Drops an element no one leases whose version is not known: it says nothing. */
  void forgetIfIdle(ElementKey key, Entry e) {
    if (e.idle() && !e.version.getKnown()) {
      forgotten(e);
      entries.remove(key);
    }
  }

  /**
   * Keeps the table within {@code maxElements}: forgets the least recently touched elements no one
   * leases. What is lost is only a known version (readers then ask the origin, which a
   * write-through commit has made current); epochs are table-wide, so no grant's epoch is reused.
   * Bounded work per command: looks at most at 64 elements.
   */
  void trim() {
    int over = entries.size() - maxElements;
    if (over <= 0) {
      return;
    }
    var it = entries.values().iterator();
    for (int looked = 0; over > 0 && looked < 64 && it.hasNext(); looked++) {
      Entry e = it.next();
      if (e.idle()) {
        forgotten(e);
        it.remove();
        over--;
      }
    }
  }

  long leaseCount() {
    long n = 0;
    for (Entry e : entries.values()) {
      n += e.readers.size() + (e.writer != 0 ? 1 : 0);
    }
    return n;
  }

  /** The elements whose WRITE a session waits for, with the readers still to recall. */
  Map<ElementKey, List<Long>> pendingWrites() {
    Map<ElementKey, List<Long>> out = new LinkedHashMap<>();
    for (Map.Entry<ElementKey, Entry> me : entries.entrySet()) {
      Entry e = me.getValue();
      if (e.pendingWriter != 0) {
        List<Long> holders = new ArrayList<>();
        for (long r : e.readers.keySet()) {
          if (r != e.pendingWriter) {
            holders.add(r);
          }
        }
        out.put(me.getKey(), holders);
      }
    }
    return out;
  }

  void snapshot(TableSnapshot.Builder b) {
    b.setLastEpoch(lastEpoch)
        .setLastReadGrant(lastReadGrant)
        .setChanges(point)
        .setForgottenChanges(forgotten);
    for (Map.Entry<ElementKey, Entry> me : entries.entrySet()) {
      Entry e = me.getValue();
      ElementState.Builder s =
          ElementState.newBuilder()
              .setElement(me.getKey().proto())
              .setVersion(e.version)
              .setEpoch(e.epoch)
              .addAllReaders(e.readers.keySet())
              .addAllReaderGrants(e.readers.values())
              .setWriter(e.writer)
              .setPendingWriter(e.pendingWriter)
              .setPendingFenced(e.pendingFenced)
              .setDoubt(e.doubt)
              .setChangedAt(e.changedAt)
              .setPendingClaim(e.pendingClaim);
      if (e.dirty != null) {
        e.dirty.snapshot(s);
      }
      b.addElements(s);
    }
  }

  /**
   * Restores the elements and gives each session back what it holds; {@link WriteBack#restore} then
   * indexes the dirty ones.
   */
  void restore(TableSnapshot snapshot, Sessions sessions, long restoredAt) {
    entries.clear();
    lastEpoch = snapshot.getLastEpoch();
    lastReadGrant = snapshot.getLastReadGrant();
    // A snapshot from before the numbers: every element, and all the table forgot, may have
    // changed as late as the snapshot's own place in the log.
    boolean numbered = snapshot.getChanges() != 0;
    point = numbered ? snapshot.getChanges() : Math.max(1, restoredAt);
    forgotten = numbered ? snapshot.getForgottenChanges() : point;
    for (ElementState es : snapshot.getElementsList()) {
      Entry e = new Entry();
      e.version = es.getVersion();
      e.epoch = es.getEpoch();
      lastEpoch = Math.max(lastEpoch, e.epoch); // a snapshot from before table-wide epochs
      for (int i = 0; i < es.getReadersCount(); i++) {
        // (a snapshot from before READ grants were numbered: 0, which any release ends)
        long grant = i < es.getReaderGrantsCount() ? es.getReaderGrants(i) : 0;
        e.readers.put(es.getReaders(i), grant);
      }
      e.writer = es.getWriter();
      e.pendingWriter = es.getPendingWriter();
      e.pendingFenced = es.getPendingFenced();
      e.doubt = es.getDoubt();
      e.changedAt = numbered ? es.getChangedAt() : point;
      e.pendingClaim = es.getPendingClaim();
      e.dirty = WriteBack.Dirty.restore(es);
      ElementKey key = ElementKey.of(es.getElement());
      entries.put(key, e);
      for (long id : e.readers.keySet()) {
        sessions.holds(id, key);
      }
      sessions.holds(e.writer, key);
      sessions.holds(e.pendingWriter, key);
    }
  }

  /** Every element, in access order, for the parts that rebuild an index from them. */
  Iterable<Map.Entry<ElementKey, Entry>> all() {
    return entries.entrySet();
  }

  int size() {
    return entries.size();
  }
}
