package dev.leasehold.coordinator;

import static dev.leasehold.coordinator.LeaseTable.ok;
import static dev.leasehold.coordinator.LeaseTable.result;

import dev.leasehold.protocol.AcquirePrefixLease;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.PrefixState;
import dev.leasehold.protocol.RecallTarget;
import dev.leasehold.protocol.RedirectPolicy;
import dev.leasehold.protocol.ReleasePrefixLease;
import dev.leasehold.protocol.TableSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The prefix WRITE leases of the lease table (docs/protocol.md, Prefix leases): one session may
 * hold WRITE on every key under {@code bucket/prefix}, creating and changing keys there with no
 * round trip per key. While it does, no other session holds a lease on an element under the prefix,
 * nor an overlapping prefix lease; a request from another site for such an element recalls (or is
 * redirected to) the holder, which flushes everything under the prefix before it releases. A holder
 * whose session ends leaves the prefix owned by its site (its unflushed keys are unknown here):
 * every element under it is unavailable until the site reclaims it or is declared lost.
 *
 * <p>Few prefix leases are expected (one per checkpoint directory or shard set being written), so
 * lookups scan them.
 *
 * <p>Snapshot part: {@code prefixes}.
 *
 * <p><b>Threading.</b> Part of the {@link LeaseTable}: confined to the state machine's apply
 * thread.
 */
final class PrefixLeases {
  /** One prefix lease: its holder (0 while its site is down), the grant's epoch, the site. */
  static final class Lease {
    long writer;
    long epoch;
    final String owner;

    Lease(long writer, long epoch, String owner) {
      this.writer = writer;
      this.epoch = epoch;
      this.owner = owner;
    }
  }

  /** By (bucket, prefix). */
  private final Map<ElementKey, Lease> leases = new LinkedHashMap<>();

  private final Elements elements;
  private final Sessions sessions;
  private final BucketTable buckets;

  PrefixLeases(Elements elements, Sessions sessions, BucketTable buckets) {
    this.elements = elements;
    this.sessions = sessions;
    this.buckets = buckets;
  }

  /**
   * A prefix WRITE lease: granted once no other session holds a lease on an element under the
   * prefix or an overlapping prefix lease; until then, the leases to recall are answered (and an
   * overlapping prefix lease's holder, as a conflict). Only in a write-back bucket. Scans the
   * elements of the bucket (a rare request: one per directory written).
   */
  CommandResult acquire(AcquirePrefixLease c) {
    long session = c.getSession();
    Sessions.Session s = sessions.get(session);
    if (s == null) {
      return result(Outcome.NO_SESSION).build();
    }
    String bucket = c.getBucket();
    String prefix = c.getPrefix();
    ElementKey pk = new ElementKey(bucket, prefix);
    Lease mine = leases.get(pk);
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
    for (Map.Entry<ElementKey, Lease> o : overlapping(bucket, prefix)) {
      Lease l = o.getValue();
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
    List<Elements.Entry> own = new ArrayList<>();
    for (Map.Entry<ElementKey, Elements.Entry> me : elements.under(bucket, prefix)) {
      ElementKey k = me.getKey();
      Elements.Entry e = me.getValue();
      if (e.dirty != null && e.writer == 0) {
        return result(Outcome.OWNER_DOWN).setOwner(e.dirty.site).build();
      }
      if (e.writer != 0 && e.writer != session) {
        r.addRecalls(recall(e.writer, k, Mode.WRITE));
      }
      if (e.pendingWriter != 0 && e.pendingWriter != session) {
        // A write elsewhere waits for its grant: wait for it (nothing to recall yet).
        r.addRecalls(recall(e.pendingWriter, k, Mode.MODE_UNSPECIFIED));
      }
      for (Map.Entry<Long, Long> reader : e.readers.entrySet()) {
        if (reader.getKey() != session) {
          r.addRecalls(recall(reader.getKey(), k, Mode.READ).setGrant(reader.getValue()));
        }
      }
      own.add(e);
    }
    if (r.getRecallsCount() > 0) {
      return r.build();
    }
    for (Elements.Entry e : own) {
      e.readers.remove(session); // the holder answers for these itself now
    }
    elements.forgetVersionsUnder(pk); // the holder writes under it unseen: known versions go stale
    Lease granted = new Lease(session, elements.nextEpoch(), s.site);
    leases.put(pk, granted);
    return ok().setSession(session)
        .setMode(Mode.WRITE)
        .setEpoch(granted.epoch)
        .setWriteBack(true)
        .build();
  }

  private static RecallTarget.Builder recall(long session, ElementKey key, Mode mode) {
    return RecallTarget.newBuilder().setSession(session).setElement(key.proto()).setMode(mode);
  }

  /** The holder flushed everything under the prefix: the lease ends. */
  CommandResult release(ReleasePrefixLease c) {
    ElementKey pk = new ElementKey(c.getBucket(), c.getPrefix());
    Lease l = leases.get(pk);
    if (l == null || l.writer != c.getSession() || l.epoch != c.getEpoch()) {
      return result(Outcome.STALE_EPOCH).build();
    }
    leases.remove(pk);
    elements.forgetVersionsUnder(pk);
    return ok().build();
  }

  /**
   * What a request of {@code session} for an element under {@code covering} gets: {@code
   * PREFIX_HELD} if the lease is its own (it answers for the element itself), {@code OWNER_DOWN} if
   * the holder's session ended, else {@code BUSY} with the holder named (recall or redirect).
   */
  CommandResult conflict(
      Map.Entry<ElementKey, Lease> covering, long session, RedirectPolicy policy) {
    Lease p = covering.getValue();
    if (p.writer == session) {
      return result(Outcome.PREFIX_HELD)
          .setPrefix(covering.getKey().key())
          .setEpoch(p.epoch)
          .build();
    }
    if (p.writer == 0) {
      return result(Outcome.OWNER_DOWN).setOwner(p.owner).build();
    }
    return result(Outcome.BUSY)
        .setWriter(p.writer)
        .setWriterHolds(true)
        .setOwner(p.owner)
        .setOwnerAddress(sessions.peerAddressOf(p.writer))
        .setPolicy(policy)
        .setPrefix(covering.getKey().key())
        .build();
  }

  /** A session ended: what it wrote under its prefixes waits for its site. */
  void ended(long session) {
    for (Lease l : leases.values()) {
      if (l.writer == session) {
        l.writer = 0;
      }
    }
  }

  /** The buckets with a prefix lease, whose LISTs merge the overlay. */
  List<String> buckets() {
    List<String> out = new ArrayList<>();
    for (ElementKey k : leases.keySet()) {
      if (!out.contains(k.bucket())) {
        out.add(k.bucket());
      }
    }
    return out;
  }

  /** The lease whose prefix covers {@code key} in {@code bucket}, or null. */
  Map.@Nullable Entry<ElementKey, Lease> covering(String bucket, String key) {
    for (Map.Entry<ElementKey, Lease> e : leases.entrySet()) {
      if (e.getKey().bucket().equals(bucket) && key.startsWith(e.getKey().key())) {
        return e;
      }
    }
    return null;
  }

  /** The leases on prefixes that overlap {@code prefix} (one starts with the other). */
  List<Map.Entry<ElementKey, Lease>> overlapping(String bucket, String prefix) {
    List<Map.Entry<ElementKey, Lease>> out = new ArrayList<>();
    for (Map.Entry<ElementKey, Lease> e : leases.entrySet()) {
      String p = e.getKey().key();
      if (e.getKey().bucket().equals(bucket) && (p.startsWith(prefix) || prefix.startsWith(p))) {
        out.add(e);
      }
    }
    return out;
  }

  void remove(ElementKey key) {
    leases.remove(key);
  }

  /** Every lease, for a session's end, a reclaim or a loss (a copy: callers change leases). */
  List<Map.Entry<ElementKey, Lease>> all() {
    return new ArrayList<>(leases.entrySet());
  }

  void snapshot(TableSnapshot.Builder b) {
    leases.forEach((k, l) ->
        b.addPrefixes(
            PrefixState.newBuilder()
                .setBucket(k.bucket())
                .setPrefix(k.key())
                .setWriter(l.writer)
                .setEpoch(l.epoch)
                .setOwner(l.owner)));
  }

  void restore(TableSnapshot s) {
    leases.clear();
    for (PrefixState p : s.getPrefixesList()) {
      leases.put(
          new ElementKey(p.getBucket(), p.getPrefix()),
          new Lease(p.getWriter(), p.getEpoch(), p.getOwner()));
    }
  }
}
