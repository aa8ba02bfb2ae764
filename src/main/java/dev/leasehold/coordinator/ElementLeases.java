package dev.leasehold.coordinator;

import static dev.leasehold.coordinator.LeaseTable.ok;
import static dev.leasehold.coordinator.LeaseTable.result;

import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.CommitWrite;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.VersionInfo;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The READ and WRITE leases of single elements (docs/protocol.md, Leases and Writes): the rules
 * that grant, commit, abort and release them.
 *
 * <ul>
 *   <li>READ(E) is granted while no other session holds or waits for WRITE(E) (a waiting writer
 *       bars new readers, so writers do not starve).
 *   <li>WRITE(E) is granted to one session once no other session holds READ(E): {@code BeginWrite}
 *       names the holders to recall; {@code GrantWrite} succeeds when they are gone (released, or
 *       their sessions expired). Every grant takes a new epoch, greater than any granted before.
 *   <li>A commit or abort must carry the current grant's epoch and come from its holder, or it is
 *       refused ({@code STALE_EPOCH}). A commit bumps the version and leaves the writer a READ
 *       lease on it (the downgrade); a dirty commit keeps the grant ({@link WriteBack}).
 *   <li>A writer that ends without committing (abort with doubt, release, expiry) may have changed
 *       the origin: the element's version is bumped and marked unknown, so readers ask the origin.
 *   <li>A pending writer that asked early may be writing the origin before its grant (fenced): it
 *       bars its own session's READ too, and if it ends without a grant while others read, the
 *       element is in doubt behind them: no READ until they are gone ({@link
 *       Elements#withdrawPending}).
 *   <li>An element under another session's prefix lease, or owned by a site that is down, is not
 *       granted ({@link PrefixLeases}, {@link WriteBack}).
 * </ul>
 *
 * <p>Holds no state of its own: it changes {@link Elements} and what {@link Sessions} hold.
 *
 * <p><b>Threading.</b> Part of the {@link LeaseTable}: confined to the state machine's apply
 * thread.
 */
final class ElementLeases {
  private final Elements elements;
  private final Sessions sessions;
  private final BucketTable buckets;
  private final PrefixLeases prefixes;
  private final WriteBack writeBack;

  ElementLeases(
      Elements elements,
      Sessions sessions,
      BucketTable buckets,
      PrefixLeases prefixes,
      WriteBack writeBack) {
    this.elements = elements;
    this.sessions = sessions;
    this.buckets = buckets;
    this.prefixes = prefixes;
    this.writeBack = writeBack;
  }

  CommandResult acquireRead(long session, Element element) {
    return onElement(
        session,
        element,
        (s, key, e) -> {
          if (e.pendingWriter == session && e.pendingFenced) {
            // It may be writing the origin already: not even its own reads learn the new version
            // before its grant (docs/protocol.md, Writes: the origin write beside the recall).
            return result(Outcome.BUSY).setWriter(session).build();
          }
          if (Elements.inDoubtFor(e, session)) {
            // Readers of the version before are still out: named, so that the wait recalls them.
            return otherReaders(result(Outcome.BUSY), e, session).build();
          }
          long grant = elements.addReader(e, session);
          s.held.add(key);
          return ok().setSession(session)
              .setMode(Mode.READ)
              .setVersion(e.version)
              .setEpoch(e.epoch)
              .setReadGrant(grant)
              .setChangedAt(e.changedAt)
              .setChanges(elements.changes())
              .build();
        });
  }

  /** A rule for an element that {@link #onElement} found free for the session to ask. */
  private interface Free {
    CommandResult apply(Sessions.Session s, ElementKey key, Elements.Entry e);
  }

  /**
   * Answers a request of {@code session} for a lease on {@code element}: no session, a conflict,
   * the WRITE the session holds already, or else what {@code rule} does with the element.
   */
  private CommandResult onElement(long session, Element element, Free rule) {
    Sessions.Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    ElementKey key = ElementKey.of(element);
    Elements.Entry e = elements.getOrAdd(key);
    CommandResult conflict = conflict(key, e, session);
    if (conflict != null) {
      return conflict;
    }
    if (e.writer == session) {
      return granted(session, key, e).build();
    }
    return rule.apply(s, key, e);
  }

  /**
   * Why {@code session} may not have a lease on the element now, or null: another session's prefix
   * lease covers it, its owner is down, or another session holds or waits for WRITE.
   */
  private @Nullable CommandResult conflict(ElementKey key, Elements.Entry e, long session) {
    Map.Entry<ElementKey, PrefixLeases.Lease> covering = prefixes.covering(key.bucket(), key.key());
    if (covering != null) {
      elements.forgetIfIdle(key, e);
      return prefixes.conflict(covering, session, buckets.policy(key.bucket()));
    }
    if (e.dirty != null && e.writer == 0) {
      return result(Outcome.OWNER_DOWN).setOwner(e.dirty.site).build();
    }
    long other = e.otherWriter(session);
    if (other != 0) {
      elements.forgetIfIdle(key, e);
      return result(Outcome.BUSY)
          .setWriter(other)
          .setWriterHolds(other == e.writer)
          .setOwner(sessions.siteOf(other))
          .setOwnerAddress(sessions.peerAddressOf(other))
          .setPolicy(buckets.policy(key.bucket()))
          .build();
    }
    return null;
  }

  /**
   * Claims WRITE for {@code session}: granted if no one else reads, else it becomes the pending
   * writer and the result names the readers to recall. Asked {@code early}, a claim that must wait
   * for readers of a clean element whose version is known, in a bucket that writes through, is
   * fenced: the site may write the origin while the readers are recalled (docs/protocol.md, Writes:
   * the origin write beside the recall).
   */
  CommandResult beginWrite(long session, Element element, boolean early) {
    return onElement(
        session,
        element,
        (s, key, e) -> {
          if (e.pendingWriter != session) {
            e.pendingClaim = elements.changes(); // a new claim: numbered with its place
          }
          e.pendingWriter = session;
          s.held.add(key);
          if (early
              && e.dirty == null
              && e.version.getKnown()
              && !buckets.writeBackInEffect(key.bucket())
              && e.othersRead(session)) {
            e.pendingFenced = true; // readers to recall: it may write the origin meanwhile
          }
          return tryGrant(session, key, e);
        });
  }

  CommandResult grantWrite(long session, Element element) {
    if (sessions.get(session) == null) {
      return result(Outcome.NO_SESSION).build();
    }
    ElementKey key = ElementKey.of(element);
    Elements.Entry e = elements.get(key);
    if (e != null && e.writer == session) {
      return granted(session, key, e).build();
    }
    if (e == null || e.pendingWriter != session) {
      return beginWrite(session, element, false);
    }
    return tryGrant(session, key, e);
  }

  /** {@code r} naming every session but {@code session} that reads {@code e}, with its grant. */
  private static CommandResult.Builder otherReaders(
      CommandResult.Builder r, Elements.Entry e, long session) {
    for (Map.Entry<Long, Long> reader : e.readers.entrySet()) {
      if (reader.getKey() != session) {
        r.addHolders(reader.getKey()).addHolderGrants(reader.getValue());
      }
    }
    return r;
  }

  /** Grants WRITE to the pending writer if no one else reads; else names whom to recall. */
  private CommandResult tryGrant(long session, ElementKey key, Elements.Entry e) {
    CommandResult.Builder r = otherReaders(ok().setSession(session), e, session);
    if (r.getHoldersCount() > 0) {
      r.setClaim(e.pendingClaim);
      if (e.pendingFenced) {
        r.setFenced(true).setVersion(e.version); // the version its origin write is fenced on
      }
      return r.build();
    }
    e.readers.remove(session);
    e.endClaim();
    e.doubt = false; // no reader is left
    e.writer = session;
    e.epoch = elements.nextEpoch();
    return granted(session, key, e).build();
  }

  private CommandResult.Builder granted(long session, ElementKey key, Elements.Entry e) {
    return ok().setSession(session)
        .setMode(Mode.WRITE)
        .setVersion(e.version)
        .setEpoch(e.epoch)
        .setWriteBack(buckets.writeBackInEffect(key.bucket()))
        .setJournalSeq(e.dirty == null ? 0 : e.dirty.journalSeq)
        .setCleanVersion(e.dirty == null ? e.version : e.dirty.clean);
  }

  CommandResult commit(CommitWrite c) {
    ElementKey key = ElementKey.of(c.getElement());
    long session = c.getSession();
    Elements.Entry e = elements.get(key);
    Sessions.Session s = sessions.get(session);
    if (e == null || s == null || e.writer != session || e.epoch != c.getEpoch()) {
      return result(Outcome.STALE_EPOCH).build();
    }
    VersionInfo previous = e.version;
    elements.version(
        e, c.getVersion().toBuilder().setVersion(previous.getVersion() + 1).setKnown(true).build());
    if (c.getDirty()) {
      // Write-back: the site owns the element and keeps its grant (docs/protocol.md, Writes).
      writeBack.committed(key, e, s.site, previous, c.getJournalSeq());
      return granted(session, key, e).build();
    }
    writeBack.clean(key, e); // the origin holds this version, which replaces any dirty one
    e.writer = 0;
    long grant = elements.addReader(e, session);
    return ok().setSession(session)
        .setMode(Mode.READ)
        .setVersion(e.version)
        .setEpoch(c.getEpoch())
        .setReadGrant(grant)
        .build();
  }

  CommandResult abort(long session, Element element, long epoch, boolean uncertain) {
    ElementKey key = ElementKey.of(element);
    Elements.Entry e = elements.get(key);
    if (e == null || e.writer != session || e.epoch != epoch) {
      return result(Outcome.STALE_EPOCH).build();
    }
    if (e.dirty != null) {
      return ok().setVersion(e.version).build(); // the owner keeps what it owns
    }
    e.writer = 0;
    if (uncertain) {
      elements.version(e, Elements.unknown(e.version));
    }
    sessions.released(session, key);
    elements.forgetIfIdle(key, e);
    return ok().setVersion(e.version).build();
  }

  /**
   * Ends the leases {@code session} names. A release that names a READ grant ({@code grants[i]} not
   * 0) ends that grant only: applied after a newer grant of the element to the session (a retried
   * command, a late batch), it leaves the newer one alone (docs/protocol.md, Leases). One that
   * names none ends whatever the session holds of the element.
   */
  CommandResult release(
      long session, List<Element> released, List<Long> grants, List<Long> claims) {
    for (int i = 0; i < released.size(); i++) {
      ElementKey key = ElementKey.of(released.get(i));
      Elements.Entry e = elements.get(key);
      long grant = i < grants.size() ? grants.get(i) : 0;
      long claim = i < claims.size() ? claims.get(i) : 0;
      if (grant == 0 && claim != 0) {
        // A withdrawal of that claim only: a late copy leaves a newer claim alone.
        if (e != null && e.pendingWriter == session && e.pendingClaim == claim) {
          elements.withdrawPending(e);
          if (e.writer != session && !e.readers.containsKey(session)) {
            sessions.released(session, key);
          }
          elements.forgetIfIdle(key, e);
        }
        continue;
      }
      if (grant != 0) {
        Long held = e == null ? null : e.readers.get(session);
        // (a reader restored from a snapshot before grants were numbered holds 0: any release)
        if (e != null && held != null && (held == grant || held == 0)) {
          e.readers.remove(session);
          if (e.writer != session && e.pendingWriter != session) {
            sessions.released(session, key);
          }
          elements.forgetIfIdle(key, e);
        }
        continue;
      }
      sessions.released(session, key);
      if (e == null) {
        continue;
      }
      e.readers.remove(session);
      if (e.pendingWriter == session) {
        elements.withdrawPending(e);
      }
      if (e.writer == session && e.dirty != null) {
        sessions.holds(session, key); // a dirty element is not released: the owner flushes first
        continue;
      }
      if (e.writer == session) {
        e.writer = 0;
        elements.version(e, Elements.unknown(e.version));
      }
      elements.forgetIfIdle(key, e);
    }
    return ok().build();
  }

  /**
   * Drops what an ended session held: its READ leases and a pending WRITE go; a WRITE it held
   * leaves its element in doubt, or, if the element is dirty, owned by the site with no writer
   * (owner down).
   */
  void ended(Sessions.Session s) {
    for (ElementKey key : s.held) {
      Elements.Entry e = elements.get(key);
      if (e == null) {
        continue;
      }
      e.readers.remove(s.id);
      if (e.pendingWriter == s.id) {
        elements.withdrawPending(e);
      }
      if (e.writer == s.id) {
        e.writer = 0;
        if (e.dirty == null) {
          elements.version(e, Elements.unknown(e.version));
        }
      }
      elements.forgetIfIdle(key, e);
    }
  }
}
