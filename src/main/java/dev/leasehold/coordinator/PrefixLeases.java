package dev.leasehold.coordinator;

import dev.leasehold.protocol.PrefixState;
import dev.leasehold.protocol.TableSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The prefix WRITE leases of the lease table (PROTOCOL.md, Leases; directory delegation): one
 * session may hold WRITE on every key under {@code bucket/prefix}, creating and changing keys there
 * with no round trip per key. While it does, no other session holds a lease on an element under the
 * prefix, nor an overlapping prefix lease; a request from another site for such an element recalls
 * (or is redirected to) the holder, which flushes everything under the prefix before it releases. A
 * holder whose session ends leaves the prefix owned by its site (its unflushed keys are unknown
 * here): every element under it is unavailable until the site reclaims it or is declared lost.
 *
 * <p>Few prefix leases are expected (one per checkpoint directory or shard set being written), so
 * lookups scan them. Part of the {@link LeaseTable}: confined to the state machine's apply thread.
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

  @Nullable Lease get(ElementKey key) {
    return leases.get(key);
  }

  void put(ElementKey key, Lease lease) {
    leases.put(key, lease);
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
