package dev.leasehold.coordinator;

import dev.leasehold.object.KeyOrder;
import dev.leasehold.protocol.AcquirePrefixLease;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.DirtyElement;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.ElementState;
import dev.leasehold.protocol.ElementView;
import dev.leasehold.protocol.InspectElements;
import dev.leasehold.protocol.MarkClean;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.OwnedElement;
import dev.leasehold.protocol.OwnedPrefix;
import dev.leasehold.protocol.PrefixOwner;
import dev.leasehold.protocol.RecallTarget;
import dev.leasehold.protocol.ReleasePrefixLease;
import dev.leasehold.protocol.SessionState;
import dev.leasehold.protocol.TableSnapshot;
import dev.leasehold.protocol.VersionInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The coordinator's replicated state and the rules of PROTOCOL.md that change it: sessions, the
 * READ and WRITE leases of every element, and element versions and epochs.
 *
 * <p><b>Determinism.</b> {@link #apply} is a pure function of the state and the command: no clock,
 * no randomness, iteration in insertion order. Every peer applies the same log and holds the same
 * table.
 *
 * <p><b>Rules.</b>
 *
 * <ul>
 *   <li>A session is numbered by the coordinator; numbers are never reused. Registering a site ends
 *       that site's earlier sessions (its previous incarnation, which lost its memory).
 *   <li>READ(E) is granted while no other session holds or waits for WRITE(E) (a waiting writer
 *       bars new readers, so writers do not starve).
 *   <li>WRITE(E) is granted to one session once no other session holds READ(E): {@code BeginWrite}
 *       names the holders to recall; {@code GrantWrite} succeeds when they are gone (released, or
 *       their sessions expired). Every grant takes a new epoch, greater than any granted before.
 *   <li>A commit or abort must carry the current grant's epoch and come from its holder, or it is
 *       refused ({@code STALE_EPOCH}). A commit bumps the version and leaves the writer a READ
 *       lease on it (the downgrade).
 *   <li>A writer that ends without committing (abort with doubt, release, expiry) may have changed
 *       the origin: the element's version is bumped and marked unknown, so readers ask the origin.
 *   <li>A bucket lives in one origin: the first site to use it binds it to its own origin, and the
 *       binding is answered to every site after, which serves the bucket only if it agrees.
 * </ul>
 *
 * <p><b>Write-back</b> (PROTOCOL.md, Writes and Ownership of unflushed data):
 *
 * <ul>
 *   <li>A WRITE grant in a write-back bucket says so ({@link BucketTable}). A dirty commit bumps
 *       the version, records the site it is dirty at and its journal entry, and keeps the writer
 *       its grant: the site owns the element, and its next write needs no grant.
 *   <li>While the owner holds WRITE, a READ or WRITE elsewhere is {@code BUSY} with the writer
 *       named ({@code writer_holds}): the grant recalls the owner, which flushes and hands over.
 *   <li>A flush ({@code MarkClean}) makes the flushed version the element's last clean one, and the
 *       element clean if nothing newer was committed meanwhile; with {@code release} it also ends
 *       the grant. A dirty element is never released nor aborted away.
 *   <li>A session that ends leaves its dirty elements dirty at its site, with no writer: every READ
 *       or WRITE of them is {@code OWNER_DOWN} (503 at the site), never the older version, until
 *       the site registers again and reclaims them ({@code ReclaimDirty}: a new grant each), or an
 *       operator declares the site lost ({@code DeclareLost}): they fall back to their last clean
 *       version, and the lost elements are named in the answer.
 *   <li>Dirty elements are never forgotten by {@link #trim}.
 * </ul>
 *
 * <p><b>Threading.</b> Confined to the state machine's apply thread (and to the thread that loads
 * or takes a snapshot, which Ratis runs between applies).
 */
final class LeaseTable {
  /** One site's session. */
  private static final class Session {
    final long id;
    final String site;
    final String address;
    long renewals;
    final Set<ElementKey> held = new LinkedHashSet<>();

    Session(long id, String site, String address, long renewals) {
      this.id = id;
      this.site = site;
      this.address = address;
      this.renewals = renewals;
    }
  }

  /** One element's leases and latest version. */
  private static final class Entry {
    VersionInfo version = VersionInfo.getDefaultInstance();
    long epoch;
    final Set<Long> readers = new LinkedHashSet<>();
    long writer;
    long pendingWriter;

    /** Write-back: the site the latest version is dirty at, or empty when the origin holds it. */
    String dirtyAt = "";

    /** The dirty version's entry in the owner's journal. */
    long journalSeq;

    /** The last version the origin holds (while dirty): what declaring the owner lost restores. */
    VersionInfo clean = VersionInfo.getDefaultInstance();

    boolean dirty() {
      return !dirtyAt.isEmpty();
    }

    boolean idle() {
      return readers.isEmpty() && writer == 0 && pendingWriter == 0 && !dirty();
    }
  }

  private final Map<Long, Session> sessions = new LinkedHashMap<>();

  /** In access order (least recently touched first): the order {@link #trim} forgets in. */
  private final LinkedHashMap<ElementKey, Entry> elements = new LinkedHashMap<>(16, 0.75f, true);

  private final Map<String, String> peerAddresses = new LinkedHashMap<>();

  /** The bucket → origin table, each bucket's write mode and dirty count. */
  private final BucketTable buckets = new BucketTable();

  /** The dirty elements (write-back), for reclaims, overlays and losses. */
  private final Set<ElementKey> dirty = new LinkedHashSet<>();

  /** The prefix WRITE leases. */
  private final PrefixLeases prefixes = new PrefixLeases();

  private long nextSession = 1;

  /** The secret sites present to each other's peer endpoints: the first registration's. */
  private String peerSecret = "";

  /** The last epoch granted, table-wide: epochs never repeat, even for a forgotten element. */
  private long lastEpoch;

  /** The most elements the table keeps; beyond it, the least recently touched idle ones go. */
  private final int maxElements;

  LeaseTable() {
    this(1_000_000);
  }

  LeaseTable(int maxElements) {
    this.maxElements = maxElements;
  }

  CommandResult apply(Command command) {
    CommandResult result = applyRule(command);
    trim();
    return result;
  }

  private CommandResult applyRule(Command command) {
    return switch (command.getCommandCase()) {
      case REGISTER -> {
        if (peerSecret.isEmpty()) {
          peerSecret = command.getRegister().getPeerSecret();
        }
        yield register(command.getRegister().getSite(), command.getRegister().getAddress())
            .toBuilder()
            .setPeerSecret(peerSecret)
            .build();
      }
      case RENEW -> renew(command.getRenew().getSession());
      case EXPIRE ->
          expire(command.getExpire().getSession(), command.getExpire().getRenewalsSeen());
      case ACQUIRE_READ ->
          acquireRead(command.getAcquireRead().getSession(), command.getAcquireRead().getElement());
      case BEGIN_WRITE ->
          beginWrite(command.getBeginWrite().getSession(), command.getBeginWrite().getElement());
      case GRANT_WRITE ->
          grantWrite(command.getGrantWrite().getSession(), command.getGrantWrite().getElement());
      case COMMIT -> commit(command.getCommit());
      case ABORT ->
          abort(
              command.getAbort().getSession(),
              command.getAbort().getElement(),
              command.getAbort().getEpoch(),
              command.getAbort().getUncertain());
      case RELEASE ->
          release(command.getRelease().getSession(), command.getRelease().getElementsList());
      case INSPECT -> inspect(command.getInspect());
      case BIND_BUCKET ->
          ok().setOrigin(
                  buckets.bind(
                      command.getBindBucket().getBucket(), command.getBindBucket().getOrigin()))
              .build();
      case SET_BUCKET_MODE -> {
        buckets.setWriteBack(
            command.getSetBucketMode().getBucket(),
            command.getSetBucketMode().getWriteBack(),
            sessionRenewals());
        buckets.setPolicy(
            command.getSetBucketMode().getBucket(), command.getSetBucketMode().getPolicy());
        yield ok().build();
      }
      case MARK_CLEAN -> markClean(command.getMarkClean());
      case RECLAIM -> reclaim(command.getReclaim().getSession());
      case DECLARE_LOST -> declareLost(command.getDeclareLost().getSite());
      case OVERLAY -> overlay(command.getOverlay().getBucket(), command.getOverlay().getPrefix());
      case ACQUIRE_PREFIX -> acquirePrefix(command.getAcquirePrefix());
      case RELEASE_PREFIX -> releasePrefix(command.getReleasePrefix());
      case PEER_ADDRESS -> {
        peerAddresses.put(
            command.getPeerAddress().getPeer(), command.getPeerAddress().getClientAddress());
        yield ok().build();
      }
      case COMMAND_NOT_SET -> throw new IllegalArgumentException("empty command");
    };
  }

  // ---- sessions

  private CommandResult register(String site, String address) {
    List<Long> earlier = new ArrayList<>();
    for (Session s : sessions.values()) {
      if (s.site.equals(site)) {
        earlier.add(s.id);
      }
    }
    for (long id : earlier) {
      end(id);
    }
    long id = nextSession++;
    sessions.put(id, new Session(id, site, address, 0));
    return ok().setSession(id).addAllOverlayBuckets(overlayBuckets()).build();
  }

  private CommandResult renew(long session) {
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    s.renewals++;
    buckets.renewed(session, s.renewals);
    return ok().setSession(session).addAllOverlayBuckets(overlayBuckets()).build();
  }

  private CommandResult expire(long session, long renewalsSeen) {
    Session s = sessions.get(session);
    if (s != null && s.renewals == renewalsSeen) {
      end(session);
    }
    return ok().build();
  }

  /**
   * Ends a session: drops its leases; a WRITE it held leaves its element in doubt, or, if the
   * element is dirty, owned by the site with no writer (owner down).
   */
  private void end(long session) {
    Session s = sessions.remove(session);
    if (s == null) {
      return;
    }
    buckets.renewed(session, -1);
    for (Map.Entry<ElementKey, PrefixLeases.Lease> p : prefixes.all()) {
      if (p.getValue().writer == session) {
        p.getValue().writer = 0; // what it wrote under the prefix waits for its site
      }
    }
    for (ElementKey key : s.held) {
      Entry e = elements.get(key);
      if (e == null) {
        continue;
      }
      e.readers.remove(session);
      if (e.pendingWriter == session) {
        e.pendingWriter = 0;
      }
      if (e.writer == session) {
        e.writer = 0;
        if (!e.dirty()) {
          e.version = unknown(e.version);
        }
      }
      forgetIfIdle(key, e);
    }
  }

  // ---- leases

  private CommandResult acquireRead(long session, Element element) {
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    ElementKey key = ElementKey.of(element);
    Entry e = elements.computeIfAbsent(key, k -> new Entry());
    CommandResult conflict = conflict(key, e, session);
    if (conflict != null) {
      return conflict;
    }
    if (e.writer == session) {
      return granted(session, key, e).build();
    }
    e.readers.add(session);
    s.held.add(key);
    return ok().setSession(session)
        .setMode(Mode.READ)
        .setVersion(e.version)
        .setEpoch(e.epoch)
        .build();
  }

  /**
   * Why {@code session} may not have a lease on the element now, or null: its owner is down, or
   * another session holds or waits for WRITE.
   */
  private @Nullable CommandResult conflict(ElementKey key, Entry e, long session) {
    Map.Entry<ElementKey, PrefixLeases.Lease> covering = prefixes.covering(key.bucket(), key.key());
    if (covering != null) {
      PrefixLeases.Lease p = covering.getValue();
      forgetIfIdle(key, e);
      if (p.writer == session) {
        return result(Outcome.PREFIX_HELD)
            .setPrefix(covering.getKey().key())
            .setEpoch(p.epoch)
            .build();
      }
      if (p.writer == 0) {
        return result(Outcome.OWNER_DOWN).setOwner(p.owner).build();
      }
      Session owner = sessions.get(p.writer);
      return result(Outcome.BUSY)
          .setWriter(p.writer)
          .setWriterHolds(true)
          .setOwner(p.owner)
          .setOwnerAddress(owner == null ? "" : owner.address)
          .setPolicy(buckets.policy(key.bucket()))
          .setPrefix(covering.getKey().key())
          .build();
    }
    if (e.dirty() && e.writer == 0) {
      return result(Outcome.OWNER_DOWN).setOwner(e.dirtyAt).build();
    }
    long other = otherWriter(e, session);
    if (other != 0) {
      forgetIfIdle(key, e);
      Session owner = sessions.get(other);
      return result(Outcome.BUSY)
          .setWriter(other)
          .setWriterHolds(other == e.writer)
          .setOwner(owner == null ? "" : owner.site)
          .setOwnerAddress(owner == null ? "" : owner.address)
          .setPolicy(buckets.policy(key.bucket()))
          .build();
    }
    return null;
  }

  private CommandResult beginWrite(long session, Element element) {
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    ElementKey key = ElementKey.of(element);
    Entry e = elements.computeIfAbsent(key, k -> new Entry());
    CommandResult conflict = conflict(key, e, session);
    if (conflict != null) {
      return conflict;
    }
    if (e.writer == session) {
      return granted(session, key, e).build();
    }
    e.pendingWriter = session;
    s.held.add(key);
    return tryGrant(session, key, e);
  }

  private CommandResult grantWrite(long session, Element element) {
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    ElementKey key = ElementKey.of(element);
    Entry e = elements.get(key);
    if (e != null && e.writer == session) {
      return granted(session, key, e).build();
    }
    if (e == null || e.pendingWriter != session) {
      return beginWrite(session, element);
    }
    return tryGrant(session, key, e);
  }

  /** Grants WRITE to the pending writer if no one else reads; else names whom to recall. */
  private CommandResult tryGrant(long session, ElementKey key, Entry e) {
    CommandResult.Builder r = ok().setSession(session);
    for (long reader : e.readers) {
      if (reader != session) {
        r.addHolders(reader);
      }
    }
    if (r.getHoldersCount() > 0) {
      return r.build();
    }
    e.readers.remove(session);
    e.pendingWriter = 0;
    e.writer = session;
    e.epoch = ++lastEpoch;
    return granted(session, key, e).build();
  }

  private CommandResult.Builder granted(long session, ElementKey key, Entry e) {
    return ok().setSession(session)
        .setMode(Mode.WRITE)
        .setVersion(e.version)
        .setEpoch(e.epoch)
        .setWriteBack(buckets.writeBackInEffect(key.bucket()))
        .setJournalSeq(e.journalSeq)
        .setCleanVersion(e.dirty() ? e.clean : e.version);
  }

  private CommandResult commit(CommitWrite c) {
    ElementKey key = ElementKey.of(c.getElement());
    long session = c.getSession();
    Entry e = elements.get(key);
    Session s = sessions.get(session);
    if (e == null || s == null || e.writer != session || e.epoch != c.getEpoch()) {
      return result(Outcome.STALE_EPOCH).build();
    }
    VersionInfo previous = e.version;
    e.version =
        c.getVersion().toBuilder().setVersion(previous.getVersion() + 1).setKnown(true).build();
    if (c.getDirty()) {
      // Write-back: the site owns the element and keeps its grant (PROTOCOL.md, Writes).
      if (!e.dirty()) {
        e.clean = previous;
        markDirty(key, e, s.site);
      }
      e.journalSeq = c.getJournalSeq();
      return granted(session, key, e).build();
    }
    markClean(key, e); // the origin holds this version, which replaces any dirty one
    e.writer = 0;
    e.readers.add(session);
    return ok().setSession(session)
        .setMode(Mode.READ)
        .setVersion(e.version)
        .setEpoch(c.getEpoch())
        .build();
  }

  private void markDirty(ElementKey key, Entry e, String site) {
    e.dirtyAt = site;
    if (dirty.add(key)) {
      buckets.dirtied(key.bucket());
    }
  }

  private void markClean(ElementKey key, Entry e) {
    e.dirtyAt = "";
    e.journalSeq = 0;
    e.clean = VersionInfo.getDefaultInstance();
    if (dirty.remove(key)) {
      buckets.cleaned(key.bucket());
    }
  }

  /** The owner flushed a version of the element to the origin. */
  private CommandResult markClean(MarkClean m) {
    ElementKey key = ElementKey.of(m.getElement());
    long session = m.getSession();
    Entry e = elements.get(key);
    long flushed = m.getVersion().getVersion();
    if (e == null
        || e.writer != session
        || e.epoch != m.getEpoch()
        || flushed > e.version.getVersion()) {
      return result(Outcome.STALE_EPOCH).build();
    }
    VersionInfo info = m.getVersion().toBuilder().setKnown(true).build();
    if (e.dirty() && flushed < e.version.getVersion()) {
      e.clean = info; // a newer version is dirty still; this one is at the origin now
      return ok().setClean(false).build();
    }
    if (e.dirty()) {
      e.version = info;
      markClean(key, e);
    }
    if (m.getRelease()) {
      e.writer = 0;
      Session s = sessions.get(session);
      if (s != null) {
        s.held.remove(key);
      }
    }
    return ok().setClean(true).setVersion(e.version).build();
  }

  /** A site registered again: it takes back, each under a new grant, what is dirty at it. */
  private CommandResult reclaim(long session) {
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    CommandResult.Builder r = ok().setSession(session);
    // In key order, not the set's: epochs are handed out in this loop, and a peer that restored
    // a snapshot holds the set in another order (every peer must give the same epochs).
    List<ElementKey> mine = new ArrayList<>();
    for (ElementKey key : dirty) {
      Entry e = elements.get(key);
      if (e != null && e.dirtyAt.equals(s.site) && (e.writer == 0 || e.writer == session)) {
        mine.add(key);
      }
    }
    mine.sort((a, b) ->
        a.bucket().equals(b.bucket())
            ? KeyOrder.compare(a.key(), b.key())
            : a.bucket().compareTo(b.bucket()));
    for (ElementKey key : mine) {
      Entry e = elements.get(key);
      if (e == null) {
        continue;
      }
      if (e.writer == 0) {
        e.writer = session;
        e.epoch = ++lastEpoch;
      }
      s.held.add(key);
      r.addOwned(
          OwnedElement.newBuilder()
              .setElement(key.proto())
              .setVersion(e.version)
              .setEpoch(e.epoch)
              .setJournalSeq(e.journalSeq)
              .setClean(e.clean));
    }
    for (Map.Entry<ElementKey, PrefixLeases.Lease> p : prefixes.all()) {
      PrefixLeases.Lease l = p.getValue();
      if (l.owner.equals(s.site) && (l.writer == 0 || l.writer == session)) {
        if (l.writer == 0) {
          l.writer = session;
          l.epoch = ++lastEpoch;
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
   * An operator declares a site lost: its sessions end, and what is dirty at it falls back to its
   * last clean version (a new version number, so no lease of the lost one serves it). The lost
   * elements are answered, for the report.
   */
  private CommandResult declareLost(String site) {
    for (Session s : sessions.values()) {
      if (s.site.equals(site)) {
        // A site with a live session may still be serving what it owns until its own deadline
        // (PROTOCOL.md, Sessions 2: the site always stops first): it is not lost yet.
        return result(Outcome.BUSY).setOwner(site).build();
      }
    }
    CommandResult.Builder r = ok();
    for (ElementKey key : List.copyOf(dirty)) {
      Entry e = elements.get(key);
      if (e == null || !e.dirtyAt.equals(site)) {
        continue;
      }
      r.addDirty(
          DirtyElement.newBuilder()
              .setBucket(key.bucket())
              .setKey(key.key())
              .setVersion(e.version)
              .setSite(site));
      e.version = e.clean.toBuilder().setVersion(e.version.getVersion() + 1).build();
      markClean(key, e);
      forgetIfIdle(key, e);
    }
    for (Map.Entry<ElementKey, PrefixLeases.Lease> p : prefixes.all()) {
      if (p.getValue().owner.equals(site)) {
        prefixes.remove(p.getKey());
        forgetVersionsUnder(p.getKey());
        r.addLostPrefixes(p.getKey().bucket() + "/" + p.getKey().key());
      }
    }
    return r.build();
  }

  /** The dirty elements of a bucket under a prefix, in key order: the LIST overlay. */
  private CommandResult overlay(String bucket, String prefix) {
    List<ElementKey> keys = new ArrayList<>();
    for (ElementKey key : dirty) {
      if (key.bucket().equals(bucket) && key.key().startsWith(prefix)) {
        keys.add(key);
      }
    }
    keys.sort((a, b) -> KeyOrder.compare(a.key(), b.key()));
    CommandResult.Builder r = ok();
    for (ElementKey key : keys) {
      Entry e = elements.get(key);
      if (e != null) {
        Session owner = sessions.get(e.writer);
        r.addDirty(
            DirtyElement.newBuilder()
                .setKey(key.key())
                .setVersion(e.version)
                .setSite(e.dirtyAt)
                .setAddress(owner == null ? "" : owner.address)
                .setDown(e.writer == 0));
      }
    }
    for (Map.Entry<ElementKey, PrefixLeases.Lease> p : prefixes.overlapping(bucket, prefix)) {
      PrefixLeases.Lease l = p.getValue();
      Session holder = sessions.get(l.writer);
      r.addPrefixOwners(
          PrefixOwner.newBuilder()
              .setPrefix(p.getKey().key())
              .setSite(l.owner)
              .setAddress(holder == null ? "" : holder.address)
              .setDown(l.writer == 0));
    }
    return r.build();
  }

  /**
   * A prefix WRITE lease: granted once no other session holds a lease on an element under the
   * prefix or an overlapping prefix lease; until then, the leases to recall are answered (and an
   * overlapping prefix lease's holder, as a conflict). Only in a write-back bucket. Scans the
   * elements of the bucket (a rare request: one per directory written).
   */
  private CommandResult acquirePrefix(AcquirePrefixLease c) {
    long session = c.getSession();
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    String bucket = c.getBucket();
    String prefix = c.getPrefix();
    ElementKey pk = new ElementKey(bucket, prefix);
    PrefixLeases.Lease mine = prefixes.get(pk);
    if (mine != null && mine.writer == session) {
      return ok().setSession(session)
          .setMode(Mode.WRITE)
          .setEpoch(mine.epoch)
          .setWriteBack(true)
          .build();
    }
    if (!buckets.writeBackInEffect(bucket)) {
      return ok().setSession(session).setWriteBack(false).build();
    }
    for (Map.Entry<ElementKey, PrefixLeases.Lease> o : prefixes.overlapping(bucket, prefix)) {
      PrefixLeases.Lease l = o.getValue();
      if (l.writer == session) {
        continue; // a prefix of its own, nested
      }
      if (l.writer == 0) {
        return result(Outcome.OWNER_DOWN).setOwner(l.owner).build();
      }
      return result(Outcome.BUSY)
          .setWriter(l.writer)
          .setWriterHolds(true)
          .setOwner(l.owner)
          .setPrefix(o.getKey().key())
          .build();
    }
    CommandResult.Builder r = ok().setSession(session);
    List<Entry> own = new ArrayList<>();
    for (Map.Entry<ElementKey, Entry> me : elements.entrySet()) {
      ElementKey k = me.getKey();
      if (!k.bucket().equals(bucket) || !k.key().startsWith(prefix)) {
        continue;
      }
      Entry e = me.getValue();
      if (e.dirty() && e.writer == 0) {
        return result(Outcome.OWNER_DOWN).setOwner(e.dirtyAt).build();
      }
      if (e.writer != 0 && e.writer != session) {
        r.addRecalls(
            RecallTarget.newBuilder()
                .setSession(e.writer)
                .setElement(k.proto())
                .setMode(Mode.WRITE));
      }
      if (e.pendingWriter != 0 && e.pendingWriter != session) {
        // A write elsewhere waits for its grant: wait for it (nothing to recall yet).
        r.addRecalls(
            RecallTarget.newBuilder()
                .setSession(e.pendingWriter)
                .setElement(k.proto())
                .setMode(Mode.MODE_UNSPECIFIED));
      }
      for (long reader : e.readers) {
        if (reader != session) {
          r.addRecalls(
              RecallTarget.newBuilder()
                  .setSession(reader)
                  .setElement(k.proto())
                  .setMode(Mode.READ));
        }
      }
      own.add(e);
    }
    if (r.getRecallsCount() > 0) {
      return r.build();
    }
    for (Entry e : own) {
      e.readers.remove(session); // the holder answers for these itself now
    }
    forgetVersionsUnder(pk); // the holder writes under it unseen: what is known here goes stale
    PrefixLeases.Lease granted = new PrefixLeases.Lease(session, ++lastEpoch, s.site);
    prefixes.put(pk, granted);
    return ok().setSession(session)
        .setMode(Mode.WRITE)
        .setEpoch(granted.epoch)
        .setWriteBack(true)
        .build();
  }

  /** The holder flushed everything under the prefix: the lease ends. */
  private CommandResult releasePrefix(ReleasePrefixLease c) {
    ElementKey pk = new ElementKey(c.getBucket(), c.getPrefix());
    PrefixLeases.Lease l = prefixes.get(pk);
    if (l == null || l.writer != c.getSession() || l.epoch != c.getEpoch()) {
      return result(Outcome.STALE_EPOCH).build();
    }
    prefixes.remove(pk);
    forgetVersionsUnder(pk);
    return ok().build();
  }

  /**
   * Marks the versions of the clean elements under a prefix lease unknown: its holder writes keys
   * there without a word to the coordinator, so readers after it must ask the origin.
   */
  private void forgetVersionsUnder(ElementKey prefix) {
    for (Map.Entry<ElementKey, Entry> me : new ArrayList<>(elements.entrySet())) {
      ElementKey k = me.getKey();
      Entry e = me.getValue();
      if (k.bucket().equals(prefix.bucket()) && k.key().startsWith(prefix.key()) && !e.dirty()) {
        e.version = unknown(e.version);
        forgetIfIdle(k, e);
      }
    }
  }

  /** The buckets whose LISTs merge the overlay: write-back, dirty, or under a prefix lease. */
  private List<String> overlayBuckets() {
    List<String> out = new ArrayList<>(buckets.overlayBuckets());
    for (Map.Entry<ElementKey, PrefixLeases.Lease> p : prefixes.all()) {
      if (!out.contains(p.getKey().bucket())) {
        out.add(p.getKey().bucket());
      }
    }
    return out;
  }

  private CommandResult abort(long session, Element element, long epoch, boolean uncertain) {
    ElementKey key = ElementKey.of(element);
    Entry e = elements.get(key);
    if (e == null || e.writer != session || e.epoch != epoch) {
      return result(Outcome.STALE_EPOCH).build();
    }
    if (e.dirty()) {
      return ok().setVersion(e.version).build(); // the owner keeps what it owns
    }
    e.writer = 0;
    if (uncertain) {
      e.version = unknown(e.version);
    }
    Session s = sessions.get(session);
    if (s != null) {
      s.held.remove(key);
    }
    forgetIfIdle(key, e);
    return ok().setVersion(e.version).build();
  }

  private CommandResult release(long session, List<Element> released) {
    Session s = sessions.get(session);
    for (Element element : released) {
      ElementKey key = ElementKey.of(element);
      Entry e = elements.get(key);
      if (s != null) {
        s.held.remove(key);
      }
      if (e == null) {
        continue;
      }
      e.readers.remove(session);
      if (e.pendingWriter == session) {
        e.pendingWriter = 0;
      }
      if (e.writer == session && e.dirty()) {
        if (s != null) {
          s.held.add(key); // a dirty element is not released: the owner must flush it first
        }
        continue;
      }
      if (e.writer == session) {
        e.writer = 0;
        e.version = unknown(e.version);
      }
      forgetIfIdle(key, e);
    }
    return ok().build();
  }

  /** The session other than {@code session} that holds or waits for WRITE, or 0. */
  private static long otherWriter(Entry e, long session) {
    if (e.writer != 0 && e.writer != session) {
      return e.writer;
    }
    if (e.pendingWriter != 0 && e.pendingWriter != session) {
      return e.pendingWriter;
    }
    return 0;
  }

  /** A version that may have changed behind the coordinator's back: bumped, and unknown. */
  private static VersionInfo unknown(VersionInfo v) {
    return VersionInfo.newBuilder().setVersion(v.getVersion() + 1).setKnown(false).build();
  }

  /** Drops an element no one leases whose version is not known: it says nothing. */
  private void forgetIfIdle(ElementKey key, Entry e) {
    if (e.idle() && !e.version.getKnown()) {
      elements.remove(key);
    }
  }

  /**
   * Keeps the table within {@code maxElements}: forgets the least recently touched elements no one
   * leases. What is lost is only a known version (readers then ask the origin, which a
   * write-through commit has made current); epochs are table-wide, so no grant's epoch is reused.
   * Bounded work per command: looks at most at 64 elements.
   */
  private void trim() {
    int over = elements.size() - maxElements;
    if (over <= 0) {
      return;
    }
    var it = elements.values().iterator();
    for (int looked = 0; over > 0 && looked < 64 && it.hasNext(); looked++) {
      if (it.next().idle()) {
        it.remove();
        over--;
      }
    }
  }

  // ---- queries (apply thread, or between applies)

  boolean hasSession(long session) {
    return sessions.containsKey(session);
  }

  long renewals(long session) {
    Session s = sessions.get(session);
    return s == null ? -1 : s.renewals;
  }

  /** Every session and its renewal count. */
  Map<Long, Long> sessionRenewals() {
    Map<Long, Long> out = new LinkedHashMap<>();
    sessions.values().forEach(s -> out.put(s.id, s.renewals));
    return out;
  }

  Map<String, String> peerAddresses() {
    return Map.copyOf(peerAddresses);
  }

  /** The elements of a bucket under a prefix, in key order, with the sites that hold leases. */
  private CommandResult inspect(InspectElements q) {
    CommandResult.Builder r = ok();
    List<Map.Entry<ElementKey, Entry>> matching = new ArrayList<>();
    for (Map.Entry<ElementKey, Entry> me : elements.entrySet()) {
      ElementKey k = me.getKey();
      if (k.bucket().equals(q.getBucket()) && k.key().startsWith(q.getPrefix())) {
        matching.add(me);
      }
    }
    matching.sort((a, b) -> KeyOrder.compare(a.getKey().key(), b.getKey().key()));
    int limit = q.getLimit() == 0 ? 1000 : q.getLimit();
    for (Map.Entry<ElementKey, Entry> me : matching.subList(0, Math.min(limit, matching.size()))) {
      Entry e = me.getValue();
      ElementView.Builder v =
          ElementView.newBuilder()
              .setKey(me.getKey().key())
              .setVersion(e.version)
              .setEpoch(e.epoch)
              .setWriter(siteOf(e.writer))
              .setPendingWriter(siteOf(e.pendingWriter))
              .setDirtyAt(e.dirtyAt);
      e.readers.forEach(reader -> v.addReaders(siteOf(reader)));
      r.addElements(v);
    }
    return r.build();
  }

  private String siteOf(long session) {
    Session s = sessions.get(session);
    return s == null ? "" : s.site;
  }

  int bucketOriginCount() {
    return buckets.size();
  }

  /** The bucket → origin table. */
  Map<String, String> bucketOrigins() {
    return buckets.origins();
  }

  /** The write-back buckets. */
  List<String> writeBackBuckets() {
    return buckets.writeBackBuckets();
  }

  /** The buckets whose redirect policy is not adaptive. */
  Map<String, String> bucketPolicies() {
    return buckets.policyNames();
  }

  int dirtyCount() {
    return dirty.size();
  }

  /** The address each site with a live session gave, by site name. */
  Map<String, String> siteAddresses() {
    Map<String, String> out = new java.util.TreeMap<>();
    sessions.values().forEach(s -> out.put(s.site, s.address));
    return out;
  }

  int sessionCount() {
    return sessions.size();
  }

  long leaseCount() {
    long n = 0;
    for (Entry e : elements.values()) {
      n += e.readers.size() + (e.writer != 0 ? 1 : 0);
    }
    return n;
  }

  /** The elements whose WRITE {@code session} waits for, with the readers still to recall. */
  Map<ElementKey, List<Long>> pendingWrites() {
    Map<ElementKey, List<Long>> out = new LinkedHashMap<>();
    for (Map.Entry<ElementKey, Entry> me : elements.entrySet()) {
      Entry e = me.getValue();
      if (e.pendingWriter != 0) {
        List<Long> holders = new ArrayList<>();
        for (long r : e.readers) {
          if (r != e.pendingWriter) {
            holders.add(r);
          }
        }
        out.put(me.getKey(), holders);
      }
    }
    return out;
  }

  // ---- snapshots

  TableSnapshot snapshot() {
    TableSnapshot.Builder b =
        TableSnapshot.newBuilder().setNextSession(nextSession).setLastEpoch(lastEpoch);
    for (Session s : sessions.values()) {
      b.addSessions(
          SessionState.newBuilder()
              .setId(s.id)
              .setSite(s.site)
              .setAddress(s.address)
              .setRenewals(s.renewals));
    }
    for (Map.Entry<ElementKey, Entry> me : elements.entrySet()) {
      Entry e = me.getValue();
      b.addElements(
          ElementState.newBuilder()
              .setElement(me.getKey().proto())
              .setVersion(e.version)
              .setEpoch(e.epoch)
              .addAllReaders(e.readers)
              .setWriter(e.writer)
              .setPendingWriter(e.pendingWriter)
              .setDirtyAt(e.dirtyAt)
              .setJournalSeq(e.journalSeq)
              .setClean(e.clean));
    }
    b.putAllPeerAddresses(peerAddresses);
    buckets.snapshot(b);
    prefixes.snapshot(b);
    b.setPeerSecret(peerSecret);
    return b.build();
  }

  void restore(TableSnapshot snapshot) {
    sessions.clear();
    elements.clear();
    dirty.clear();
    peerAddresses.clear();
    buckets.restore(snapshot);
    prefixes.restore(snapshot);
    peerSecret = snapshot.getPeerSecret();
    nextSession = snapshot.getNextSession();
    lastEpoch = snapshot.getLastEpoch();
    for (SessionState s : snapshot.getSessionsList()) {
      sessions.put(s.getId(), new Session(s.getId(), s.getSite(), s.getAddress(), s.getRenewals()));
    }
    for (ElementState es : snapshot.getElementsList()) {
      Entry e = new Entry();
      e.version = es.getVersion();
      e.epoch = es.getEpoch();
      lastEpoch = Math.max(lastEpoch, e.epoch); // a snapshot from before table-wide epochs
      e.readers.addAll(es.getReadersList());
      e.writer = es.getWriter();
      e.pendingWriter = es.getPendingWriter();
      e.journalSeq = es.getJournalSeq();
      e.clean = es.getClean();
      ElementKey key = ElementKey.of(es.getElement());
      elements.put(key, e);
      if (!es.getDirtyAt().isEmpty()) {
        markDirty(key, e, es.getDirtyAt());
      }
      for (long id : e.readers) {
        holder(id, key);
      }
      holder(e.writer, key);
      holder(e.pendingWriter, key);
    }
    peerAddresses.putAll(snapshot.getPeerAddressesMap());
  }

  private void holder(long session, ElementKey key) {
    Session s = sessions.get(session);
    if (s != null) {
      s.held.add(key);
    }
  }

  private static CommandResult.Builder ok() {
    return result(Outcome.OK);
  }

  private static CommandResult.Builder result(Outcome outcome) {
    return CommandResult.newBuilder().setOutcome(outcome);
  }
}
