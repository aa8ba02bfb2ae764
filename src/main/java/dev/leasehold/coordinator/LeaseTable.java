package dev.leasehold.coordinator;

import dev.leasehold.object.KeyOrder;
import dev.leasehold.protocol.BindBucket;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.ElementView;
import dev.leasehold.protocol.InspectElements;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.RegisterSession;
import dev.leasehold.protocol.SetBucketSetting;
import dev.leasehold.protocol.SiteEntry;
import dev.leasehold.protocol.TableSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The coordinator's replicated state, and the one entry that changes it: {@link #apply} a command
 * of the log (docs/protocol.md). The state is in parts, one per idea of the protocol, each with its
 * own snapshot part:
 *
 * <ul>
 *   <li>{@link Sessions}: who is registered, their renewals, and the peer secret;
 *   <li>{@link Elements}: each element's version, epoch and lease holders, with the rules of {@link
 *       ElementLeases} (READ and WRITE grants, commits, aborts, releases);
 *   <li>{@link WriteBack}: what is dirty where, and the rules of flushes, reclaims, losses and the
 *       LIST overlay;
 *   <li>{@link PrefixLeases}: WRITE on every key under a prefix;
 *   <li>{@link BucketTable}: each bucket's origin, write mode and redirect policy;
 *   <li>the peers' client addresses, here.
 * </ul>
 *
 * <p>This class routes each command to its part, and keeps the rules that span parts: a
 * registration ends the site's earlier sessions, and a session's end drops its leases everywhere.
 *
 * <p><b>Determinism.</b> {@link #apply} is a pure function of the state and the command: no clock,
 * no randomness, iteration in insertion order. Every peer applies the same log and holds the same
 * table.
 *
 * <p><b>Threading.</b> Confined to the state machine's apply thread (and to the thread that loads
 * or takes a snapshot, which Ratis runs between applies).
 */
final class LeaseTable {
  private final Sessions sessions = new Sessions();
  private final BucketTable buckets = new BucketTable();
  private final Elements elements;
  private final PrefixLeases prefixes;
  private final WriteBack writeBack;
  private final ElementLeases leases;
  private final Map<String, String> peerAddresses = new LinkedHashMap<>();

  LeaseTable() {
    this(1_000_000);
  }

  /** A table that keeps at most {@code maxElements} elements ({@link Elements#trim}). */
  LeaseTable(int maxElements) {
    elements = new Elements(maxElements);
    prefixes = new PrefixLeases(elements, sessions, buckets);
    writeBack = new WriteBack(elements, sessions, prefixes);
    leases = new ElementLeases(elements, sessions, buckets, prefixes, writeBack);
  }

  /** Applies {@code command} as the next command of the log (tests, replays). */
  CommandResult apply(Command command) {
    return apply(command, elements.changes() + 1);
  }

  /** Applies {@code command}, the one at {@code point} of the log ({@link Changes#point}). */
  CommandResult apply(Command command, long point) {
    elements.at(point);
    CommandResult result = applyRule(command);
    elements.trim();
    return result;
  }

  private CommandResult applyRule(Command command) {
    return switch (command.getCommandCase()) {
      case REGISTER ->
          register(command.getRegister())
              .setPeerSecret(sessions.peerSecret(command.getRegister().getPeerSecret()))
              .build();
      case RENEW -> renew(command.getRenew().getSession());
      case EXPIRE ->
          expire(command.getExpire().getSession(), command.getExpire().getRenewalsSeen());
      case ACQUIRE_READ ->
          leases.acquireRead(
              command.getAcquireRead().getSession(), command.getAcquireRead().getElement());
      case BEGIN_WRITE ->
          leases.beginWrite(
              command.getBeginWrite().getSession(),
              command.getBeginWrite().getElement(),
              command.getBeginWrite().getEarly());
      case GRANT_WRITE ->
          leases.grantWrite(
              command.getGrantWrite().getSession(), command.getGrantWrite().getElement());
      case COMMIT -> leases.commit(command.getCommit());
      case ABORT ->
          leases.abort(
              command.getAbort().getSession(),
              command.getAbort().getElement(),
              command.getAbort().getEpoch(),
              command.getAbort().getUncertain());
      case RELEASE ->
          leases.release(
              command.getRelease().getSession(),
              command.getRelease().getElementsList(),
              command.getRelease().getGrantsList(),
              command.getRelease().getClaimsList());
      case INSPECT -> inspect(command.getInspect());
      case BIND_BUCKET -> {
        BindBucket b = command.getBindBucket();
        yield ok().setOrigin(
                b.getLookup()
                    ? buckets.originOf(b.getBucket())
                    : buckets.bind(b.getBucket(), b.getOrigin()))
            // the settings too, so a site's first use of a bucket costs no second call
            .putAllSettings(buckets.settings(b.getBucket()))
            .setSettingsChanges(buckets.settingsChanges())
            .build();
      }
      case SET_BUCKET_SETTING -> {
        SetBucketSetting set = command.getSetBucketSetting();
        if (!set.getLookup()) {
          buckets.setSetting(set.getBucket(), set.getKind(), set.getDocument());
        }
        yield ok().putAllSettings(buckets.settings(set.getBucket()))
            .setSettingsChanges(buckets.settingsChanges())
            .build();
      }
      case SET_BUCKET_MODE -> {
        buckets.setWriteBack(
            command.getSetBucketMode().getBucket(),
            command.getSetBucketMode().getWriteBack(),
            sessions.renewalsById());
        buckets.setPolicy(
            command.getSetBucketMode().getBucket(), command.getSetBucketMode().getPolicy());
        yield ok().build();
      }
      case MARK_CLEAN -> writeBack.flushed(command.getMarkClean());
      case RECLAIM -> writeBack.reclaim(command.getReclaim().getSession());
      case DECLARE_LOST -> writeBack.declareLost(command.getDeclareLost().getSite());
      case OVERLAY ->
          writeBack.overlay(command.getOverlay().getBucket(), command.getOverlay().getPrefix());
      case ACQUIRE_PREFIX -> prefixes.acquire(command.getAcquirePrefix());
      case RELEASE_PREFIX -> prefixes.release(command.getReleasePrefix());
      case PEER_ADDRESS -> {
        peerAddresses.put(
            command.getPeerAddress().getPeer(), command.getPeerAddress().getClientAddress());
        yield ok().build();
      }
      case BATCH ->
          throw new IllegalArgumentException("a batch is its commands, each applied on its own");
      case COMMAND_NOT_SET -> throw new IllegalArgumentException("empty command");
    };
  }

  // ---- sessions (docs/protocol.md, Sessions)

  /**
   * A new session for {@code site}; its earlier sessions end (its previous life lost its memory).
   */
  private CommandResult.Builder register(RegisterSession r) {
    for (long id : sessions.ofSite(r.getSite())) {
      end(id);
    }
    long id = sessions.open(r.getSite(), r.getAddress(), r.getPeerAddress(), r.getSession()).id;
    return ok().setSession(id)
        .addAllOverlayBuckets(overlayBuckets())
        .setSettingsChanges(buckets.settingsChanges());
  }

  private CommandResult renew(long session) {
    Sessions.Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    s.renewals++;
    buckets.renewed(session, s.renewals);
    return ok().setSession(session)
        .addAllOverlayBuckets(overlayBuckets())
        .setChanges(elements.changes())
        .setSettingsChanges(buckets.settingsChanges())
        .build();
  }

  /** The leader saw no renewal for {@code ttl·(1+drift)}; a renewal since then keeps it. */
  private CommandResult expire(long session, long renewalsSeen) {
    Sessions.Session s = sessions.get(session);
    if (s != null && s.renewals == renewalsSeen) {
      end(session);
    }
    return ok().build();
  }

  /** Ends a session: its leases go, in every part that holds them. */
  private void end(long session) {
    Sessions.Session s = sessions.remove(session);
    if (s == null) {
      return;
    }
    buckets.renewed(session, -1);
    prefixes.ended(session);
    leases.ended(s);
  }

  /** The buckets whose LISTs merge the overlay: write-back, dirty, or under a prefix lease. */
  private List<String> overlayBuckets() {
    Set<String> out = new LinkedHashSet<>(buckets.writeBackBuckets());
    out.addAll(writeBack.dirtyBuckets());
    out.addAll(prefixes.buckets());
    return new ArrayList<>(out);
  }

  /** The elements of a bucket under a prefix, in key order, with the sites that hold leases. */
  private CommandResult inspect(InspectElements q) {
    List<Map.Entry<ElementKey, Elements.Entry>> matching =
        new ArrayList<>(elements.under(q.getBucket(), q.getPrefix()));
    matching.sort((a, b) -> KeyOrder.compare(a.getKey().key(), b.getKey().key()));
    int limit = q.getLimit() == 0 ? 1000 : q.getLimit();
    CommandResult.Builder r = ok();
    for (Map.Entry<ElementKey, Elements.Entry> me :
        matching.subList(0, Math.min(limit, matching.size()))) {
      Elements.Entry e = me.getValue();
      ElementView.Builder v =
          ElementView.newBuilder()
              .setKey(me.getKey().key())
              .setVersion(e.version)
              .setEpoch(e.epoch)
              .setWriter(sessions.siteOf(e.writer))
              .setPendingWriter(sessions.siteOf(e.pendingWriter))
              .setDirtyAt(e.dirty == null ? "" : e.dirty.site);
      e.readers.keySet().forEach(reader -> v.addReaders(sessions.siteOf(reader)));
      r.addElements(v);
    }
    return r.build();
  }

  // ---- queries (apply thread, or between applies)

  boolean hasSession(long session) {
    return sessions.get(session) != null;
  }

  long renewals(long session) {
    return sessions.renewals(session);
  }

  /** Every session and its renewal count. */
  Map<Long, Long> sessionRenewals() {
    return sessions.renewalsById();
  }

  Map<String, String> peerAddresses() {
    return Map.copyOf(peerAddresses);
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
    return writeBack.size();
  }

  /** The address each site with a live session gave, by site name. */
  Map<String, SiteEntry> siteAddresses() {
    return sessions.addressesBySite();
  }

  /** The site of each live session. */
  Map<Long, String> sessionSites() {
    return sessions.sitesById();
  }

  int sessionCount() {
    return sessions.size();
  }

  long leaseCount() {
    return elements.leaseCount();
  }

  /** The elements whose WRITE a session waits for, with the readers still to recall. */
  Map<ElementKey, List<Long>> pendingWrites() {
    return elements.pendingWrites();
  }

  // ---- snapshots: each part writes and reads its own fields of TableSnapshot

  TableSnapshot snapshot() {
    TableSnapshot.Builder b = TableSnapshot.newBuilder();
    sessions.snapshot(b);
    elements.snapshot(b);
    b.putAllPeerAddresses(peerAddresses);
    buckets.snapshot(b);
    prefixes.snapshot(b);
    return b.build();
  }

  void restore(TableSnapshot snapshot) {
    restore(snapshot, 1);
  }

  /** Restores {@code snapshot}, taken at {@code restoredAt} of the log ({@link Changes#point}). */
  void restore(TableSnapshot snapshot, long restoredAt) {
    sessions.restore(snapshot);
    buckets.restore(snapshot);
    prefixes.restore(snapshot);
    elements.restore(snapshot, sessions, restoredAt);
    writeBack.restore();
    peerAddresses.clear();
    peerAddresses.putAll(snapshot.getPeerAddressesMap());
  }

  static CommandResult.Builder ok() {
    return result(Outcome.OK);
  }

  static CommandResult.Builder result(Outcome outcome) {
    return CommandResult.newBuilder().setOutcome(outcome);
  }
}
