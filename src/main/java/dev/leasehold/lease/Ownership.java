package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.MarkClean;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.OwnedElement;
import dev.leasehold.protocol.OwnedPrefix;
import dev.leasehold.protocol.ReclaimDirty;
import dev.leasehold.protocol.VersionInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a site owns in write-back buckets (docs/protocol.md, Ownership of unflushed data): the
 * elements whose WRITE grant it kept after a dirty commit, until a recall or a flush with release
 * ends it; the flushes that record them clean at the coordinator; and, after each registration, the
 * reclaim that takes back what is dirty here under the new session.
 *
 * <p>Thread-safe. The owned map is written only under the element's lock in {@link WritesInFlight}
 * (by this class and by {@link WriteGrants}), or when a session is lost; it is read without it (a
 * read at the owner serves the version named here). {@link #registered} is synchronized: one
 * reclaim at a time, and it alone writes {@code reclaimAsked} and {@code reclaimedSession}.
 */
final class Ownership {
  private static final Logger LOG = LoggerFactory.getLogger(Ownership.class);

  private final CoordinatorLink link;
  private final LeaseSettings settings;
  private final SiteSession session;
  private final ReadLeases reads;
  private final WritesInFlight writes;
  private final HeldPrefixes prefixes;
  private final Map<LeaseKey, WriteLease> owned = new ConcurrentHashMap<>();
  private volatile OwnerEvents events = OwnerEvents.NONE;

  /** The recall sequence when the latest reclaim was asked: what left after is not adopted. */
  private volatile long reclaimAsked;

  /** The session whose reclaim has been taken (its journal adopted). */
  private volatile long reclaimedSession;

  Ownership(
      CoordinatorLink link,
      LeaseSettings settings,
      SiteSession session,
      ReadLeases reads,
      WritesInFlight writes,
      HeldPrefixes prefixes) {
    this.link = link;
    this.settings = settings;
    this.session = session;
    this.reads = reads;
    this.writes = writes;
    this.prefixes = prefixes;
  }

  OwnerEvents events() {
    return events;
  }

  void events(OwnerEvents events) {
    this.events = events;
  }

  /** The lease this site holds as owner, whatever its session (null: none). */
  @Nullable WriteLease get(LeaseKey key) {
    return owned.get(key);
  }

  /** Under the element's lock: this site owns it under {@code lease}. */
  void put(LeaseKey key, WriteLease lease) {
    owned.put(key, lease);
  }

  /** Under the element's lock: this site no longer owns it. */
  void remove(LeaseKey key) {
    owned.remove(key);
  }

  /** Under the element's lock: this site no longer owns it under {@code lease}. */
  void remove(LeaseKey key, WriteLease lease) {
    owned.remove(key, lease);
  }

  /** The element this site owns, if its session is valid now. */
  @Nullable WriteLease valid(String bucket, String key) {
    WriteLease l = owned.get(new LeaseKey(bucket, key));
    return l == null || !session.valid(l.session()) ? null : l;
  }

  List<WriteLease> all() {
    return List.copyOf(owned.values());
  }

  /** The owned keys under a prefix (those written under a prefix lease, and others). */
  List<WriteLease> under(String bucket, String prefix) {
    List<WriteLease> out = new ArrayList<>();
    for (WriteLease l : owned.values()) {
      if (l.bucket().equals(bucket) && l.key().startsWith(prefix)) {
        out.add(l);
      }
    }
    return out;
  }

  /** The session is gone: what it owned is void here (its dirty data stays in the journal). */
  void lost(long id) {
    owned.values().removeIf(l -> l.session() == id);
  }

  /** Whether the current session's reclaim has been taken (its journal adopted). */
  boolean reclaimed() {
    long id = session.current();
    return id != 0 && reclaimedSession == id;
  }

  /**
   * The coordinator says this site owns {@code key} dirty, and it does not hold it as owned (a
   * commit failed without a clear answer, or it just registered again): the journal's latest
   * version may be newer than the one the coordinator names. Adopts it from there; the read lease
   * to serve it under.
   */
  ReadLease fromJournal(LeaseKey key, long id, AcquireReply reply) {
    if (!writes.lock(key, settings.acquireWait())) {
      throw AcquireCall.busy(key.bucket(), key.key());
    }
    try {
      WriteLease l = owned.get(key);
      if (l == null) {
        l =
            events.adopt(
                Versions.dirty(
                    key.bucket(),
                    key.key(),
                    id,
                    reply.getEpoch(),
                    reply.getVersion(),
                    reply.getJournalSeq(),
                    reply.getClean()));
        owned.put(key, l);
      }
      return new ReadLease(key.bucket(), key.key(), id, l.version(), true, l.info(), 0);
    } finally {
      writes.unlock(key);
    }
  }

  /**
   * After a restart: the journal's latest version of a key, adopted as owned under {@code base} (a
   * reclaimed element's lease, or a new one under a reclaimed prefix lease).
   */
  void adopt(WriteLease base) {
    LeaseKey k = new LeaseKey(base.bucket(), base.key());
    if (!writes.lock(k, settings.acquireWait())) {
      LOG.warn("could not adopt {}/{}: a write of it did not end", base.bucket(), base.key());
      return; // its next read or write here takes it from the journal
    }
    try {
      WriteLease now = owned.get(k);
      if (now != null && now.session() == base.session()) {
        return; // a read or write adopted it first: what it holds since (writes, a flush) is newer
      }
      if (now == null && reads.endedSince(k, reclaimAsked)) {
        // It was handed over (or its lease otherwise ended here) after the reclaim was asked:
        // the reclaim's answer is out of date, and the element is no longer this site's.
        LOG.info("not adopting {}/{}: it left this site during the reclaim", k.bucket(), k.key());
        return;
      }
      owned.put(k, base);
    } finally {
      writes.unlock(k);
    }
  }

  /**
   * Takes the element's lock for a flush, if this site owns it under a valid session (else null,
   * and no lock held).
   */
  @Nullable WriteLease lock(String bucket, String key, Duration wait) {
    LeaseKey k = new LeaseKey(bucket, key);
    if (!writes.lock(k, wait)) {
      throw AcquireCall.busy(bucket, key);
    }
    WriteLease l = owned.get(k);
    if (l == null || !session.valid(l.session())) {
      writes.unlock(k);
      return null;
    }
    return l;
  }

  void unlock(WriteLease lease) {
    writes.unlock(new LeaseKey(lease.bucket(), lease.key()));
  }

  /** See {@link Leases#flushed}: called under {@link #lock}. */
  @Nullable WriteLease flushed(WriteLease lease, @Nullable ObjectInfo atOrigin, boolean release) {
    LeaseKey k = new LeaseKey(lease.bucket(), lease.key());
    if (lease.underPrefix()) {
      if (release) {
        owned.remove(k);
        return null;
      }
      WriteLease next = lease.flushed(atOrigin, true);
      owned.put(k, next);
      return next;
    }
    VersionInfo v = Versions.proto(atOrigin).toBuilder().setVersion(lease.version()).build();
    CommandResult reply =
        link.submit(
            Command.newBuilder()
                .setMarkClean(
                    MarkClean.newBuilder()
                        .setSession(lease.session())
                        .setElement(Versions.element(lease.bucket(), lease.key()))
                        .setEpoch(lease.epoch())
                        .setVersion(v)
                        .setRelease(release))
                .build(),
            CoordinatorLink.CALL_MILLIS * 2);
    if (reply.getOutcome() != Outcome.OK) {
      owned.remove(k, lease); // (a newer grant's lease, adopted meanwhile, stays)
      throw AcquireCall.refused("flush", lease, reply.getOutcome());
    }
    if (release && reply.getClean()) {
      owned.remove(k);
      reads.forget(k); // this site holds nothing of the element now
      return null;
    }
    WriteLease next = lease.flushed(atOrigin, reply.getClean());
    owned.put(k, next);
    return next;
  }

  /**
   * A new session {@code id}: takes back what is dirty at this site (retrying while the session
   * holds and the coordinator does not answer), has the flusher adopt the journal under it, and
   * only then opens the reclaimed prefix leases.
   */
  synchronized void registered(long id) {
    if (events == OwnerEvents.NONE) {
      return; // nobody to adopt the journal yet: setting the events reclaims
    }
    for (int attempt = 0; session.current() == id && session.valid(id); attempt++) {
      try {
        reclaimAsked = reads.sequence();
        CommandResult reply =
            link.submit(
                Command.newBuilder().setReclaim(ReclaimDirty.newBuilder().setSession(id)).build(),
                CoordinatorLink.CALL_MILLIS);
        if (reply.getOutcome() != Outcome.OK) {
          return; // the session is gone already; the next registration reclaims
        }
        List<WriteLease> mine = new ArrayList<>();
        for (OwnedElement o : reply.getOwnedList()) {
          // owned once the flusher has adopted the journal's latest version
          Element e = o.getElement();
          mine.add(
              Versions.dirty(
                  e.getBucket(),
                  e.getKey(),
                  id,
                  o.getEpoch(),
                  o.getVersion(),
                  o.getJournalSeq(),
                  o.getClean()));
        }
        List<PrefixLease> taken = new ArrayList<>();
        for (OwnedPrefix o : reply.getOwnedPrefixesList()) {
          taken.add(new PrefixLease(o.getBucket(), o.getPrefix(), id, o.getEpoch()));
        }
        if (!mine.isEmpty() || !taken.isEmpty()) {
          LOG.info(
              "site reclaimed {} dirty elements and {} prefix leases under session {}",
              mine.size(),
              taken.size(),
              id);
        }
        events.reclaimed(mine, taken);
        for (PrefixLease p : taken) {
          prefixes.add(p);
        }
        reclaimedSession = id;
        return;
      } catch (LeaseUnavailableException e) {
        LOG.debug("reclaiming dirty elements: {}", e.getMessage());
        try {
          Thread.sleep(Math.min(2000, 100L << Math.min(attempt, 5)));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
