package dev.leasehold.coordinator;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.ElementState;
import dev.leasehold.protocol.ElementView;
import dev.leasehold.protocol.InspectElements;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.SessionState;
import dev.leasehold.protocol.TableSnapshot;
import dev.leasehold.protocol.VersionInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    boolean idle() {
      return readers.isEmpty() && writer == 0 && pendingWriter == 0;
    }
  }

  private final Map<Long, Session> sessions = new LinkedHashMap<>();

  /** In access order (least recently touched first): the order {@link #trim} forgets in. */
  private final LinkedHashMap<ElementKey, Entry> elements = new LinkedHashMap<>(16, 0.75f, true);

  private final Map<String, String> peerAddresses = new LinkedHashMap<>();

  /** The bucket → origin table: the origin each bucket lives in, bound by the first site to ask. */
  private final Map<String, String> bucketOrigins = new LinkedHashMap<>();

  private long nextSession = 1;

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
      case REGISTER ->
          register(command.getRegister().getSite(), command.getRegister().getAddress());
      case RENEW -> renew(command.getRenew().getSession());
      case EXPIRE ->
          expire(command.getExpire().getSession(), command.getExpire().getRenewalsSeen());
      case ACQUIRE_READ ->
          acquireRead(command.getAcquireRead().getSession(), command.getAcquireRead().getElement());
      case BEGIN_WRITE ->
          beginWrite(command.getBeginWrite().getSession(), command.getBeginWrite().getElement());
      case GRANT_WRITE ->
          grantWrite(command.getGrantWrite().getSession(), command.getGrantWrite().getElement());
      case COMMIT ->
          commit(
              command.getCommit().getSession(),
              command.getCommit().getElement(),
              command.getCommit().getEpoch(),
              command.getCommit().getVersion());
      case ABORT ->
          abort(
              command.getAbort().getSession(),
              command.getAbort().getElement(),
              command.getAbort().getEpoch(),
              command.getAbort().getUncertain());
      case RELEASE ->
          release(command.getRelease().getSession(), command.getRelease().getElementsList());
      case INSPECT -> inspect(command.getInspect());
      case BIND_BUCKET -> {
        String origin =
            bucketOrigins.computeIfAbsent(
                command.getBindBucket().getBucket(), b -> command.getBindBucket().getOrigin());
        yield ok().setOrigin(origin).build();
      }
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
    return ok().setSession(id).build();
  }

  private CommandResult renew(long session) {
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    s.renewals++;
    return ok().setSession(session).build();
  }

  private CommandResult expire(long session, long renewalsSeen) {
    Session s = sessions.get(session);
    if (s != null && s.renewals == renewalsSeen) {
      end(session);
    }
    return ok().build();
  }

  /** Ends a session: drops its leases; a WRITE it held leaves its element in doubt. */
  private void end(long session) {
    Session s = sessions.remove(session);
    if (s == null) {
      return;
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
        e.version = unknown(e.version);
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
    long other = otherWriter(e, session);
    if (other != 0) {
      forgetIfIdle(key, e);
      return result(Outcome.BUSY).setWriter(other).build();
    }
    if (e.writer != session) {
      e.readers.add(session);
    }
    s.held.add(key);
    return ok().setSession(session)
        .setMode(e.writer == session ? Mode.WRITE : Mode.READ)
        .setVersion(e.version)
        .setEpoch(e.epoch)
        .build();
  }

  private CommandResult beginWrite(long session, Element element) {
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    ElementKey key = ElementKey.of(element);
    Entry e = elements.computeIfAbsent(key, k -> new Entry());
    long other = otherWriter(e, session);
    if (other != 0) {
      forgetIfIdle(key, e);
      return result(Outcome.BUSY).setWriter(other).build();
    }
    if (e.writer == session) {
      return granted(session, e).build();
    }
    e.pendingWriter = session;
    s.held.add(key);
    return tryGrant(session, e);
  }

  private CommandResult grantWrite(long session, Element element) {
    Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    Entry e = elements.get(ElementKey.of(element));
    if (e != null && e.writer == session) {
      return granted(session, e).build();
    }
    if (e == null || e.pendingWriter != session) {
      return beginWrite(session, element);
    }
    return tryGrant(session, e);
  }

  /** Grants WRITE to the pending writer if no one else reads; else names whom to recall. */
  private CommandResult tryGrant(long session, Entry e) {
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
    return granted(session, e).build();
  }

  private static CommandResult.Builder granted(long session, Entry e) {
    return ok().setSession(session).setMode(Mode.WRITE).setVersion(e.version).setEpoch(e.epoch);
  }

  private CommandResult commit(long session, Element element, long epoch, VersionInfo version) {
    Entry e = elements.get(ElementKey.of(element));
    if (e == null || e.writer != session || e.epoch != epoch) {
      return result(Outcome.STALE_EPOCH).build();
    }
    e.version = version.toBuilder().setVersion(e.version.getVersion() + 1).setKnown(true).build();
    e.writer = 0;
    e.readers.add(session);
    return ok().setSession(session)
        .setMode(Mode.READ)
        .setVersion(e.version)
        .setEpoch(epoch)
        .build();
  }

  private CommandResult abort(long session, Element element, long epoch, boolean uncertain) {
    ElementKey key = ElementKey.of(element);
    Entry e = elements.get(key);
    if (e == null || e.writer != session || e.epoch != epoch) {
      return result(Outcome.STALE_EPOCH).build();
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
    matching.sort(
        (a, b) -> dev.leasehold.object.KeyOrder.compare(a.getKey().key(), b.getKey().key()));
    int limit = q.getLimit() == 0 ? 1000 : q.getLimit();
    for (Map.Entry<ElementKey, Entry> me : matching.subList(0, Math.min(limit, matching.size()))) {
      Entry e = me.getValue();
      ElementView.Builder v =
          ElementView.newBuilder()
              .setKey(me.getKey().key())
              .setVersion(e.version)
              .setEpoch(e.epoch)
              .setWriter(siteOf(e.writer))
              .setPendingWriter(siteOf(e.pendingWriter));
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
    return bucketOrigins.size();
  }

  /** The bucket → origin table. */
  Map<String, String> bucketOrigins() {
    return Map.copyOf(bucketOrigins);
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
              .setPendingWriter(e.pendingWriter));
    }
    b.putAllPeerAddresses(peerAddresses);
    b.putAllBucketOrigins(bucketOrigins);
    return b.build();
  }

  void restore(TableSnapshot snapshot) {
    sessions.clear();
    elements.clear();
    peerAddresses.clear();
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
      ElementKey key = ElementKey.of(es.getElement());
      elements.put(key, e);
      for (long id : e.readers) {
        holder(id, key);
      }
      holder(e.writer, key);
      holder(e.pendingWriter, key);
    }
    peerAddresses.putAll(snapshot.getPeerAddressesMap());
    bucketOrigins.clear();
    bucketOrigins.putAll(snapshot.getBucketOriginsMap());
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
