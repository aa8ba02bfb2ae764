package dev.leasehold.coordinator;

import com.google.protobuf.ByteString;
import dev.leasehold.protocol.BucketSettings;
import dev.leasehold.protocol.PendingMode;
import dev.leasehold.protocol.RedirectPolicy;
import dev.leasehold.protocol.TableSnapshot;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The coordinator's table of buckets (docs/protocol.md, Buckets): the origin each lives in, which
 * are write-back, and each one's redirect policy.
 *
 * <p><b>Switching a bucket to write-back</b> (docs/protocol.md, Listing): a LIST at a site merges
 * the coordinator's overlay only in the buckets the site knows may hold dirty elements — the
 * write-back buckets and those still dirty ({@link WriteBack#dirtyBuckets}), which every
 * registration and renewal answers. So that no site lists a bucket without the overlay after a
 * dirty write was acknowledged in it, a switch takes effect for WRITE grants only once every
 * session that was live at the switch has renewed twice since (the second renewal is sent after the
 * answer to the first arrived) or has ended. Sessions that register later learn the bucket at
 * registration. Switching back to write-through takes effect at once; the bucket stays in the
 * overlay while it holds dirty elements.
 *
 * <p><b>Settings</b> (docs/protocol.md, Bucket settings): each bucket's documents by kind (its CORS
 * rules, ...), and a table-wide count of changes to them that renewals report, so that a site drops
 * what it read before a change.
 *
 * <p>Snapshot part: {@code bucket_origins}, {@code write_back_buckets}, {@code pending_modes},
 * {@code bucket_policies}, {@code bucket_settings}, {@code settings_changes}.
 *
 * <p><b>Threading.</b> Part of the {@link LeaseTable}: confined to the state machine's apply
 * thread.
 */
final class BucketTable {
  private final Map<String, String> origins = new LinkedHashMap<>();
  private final Set<String> writeBack = new LinkedHashSet<>();

  /** Buckets switched to write-back, not yet in effect: session → renewal count it must reach. */
  private final Map<String, Map<Long, Long>> pending = new LinkedHashMap<>();

  /** Each bucket's settings, by kind; a bucket without any has no entry. */
  private final Map<String, Map<String, ByteString>> settings = new LinkedHashMap<>();

  private long settingsChanges;

  /**
   * Sets (or, with an empty document, removes) a setting of {@code bucket}; an empty kind with an
   * empty document removes them all (the bucket was deleted).
   */
  void setSetting(String bucket, String kind, ByteString document) {
    if (kind.isEmpty()) {
      if (document.isEmpty() && settings.remove(bucket) != null) {
        settingsChanges++;
      }
      return;
    }
    Map<String, ByteString> docs = settings.computeIfAbsent(bucket, b -> new LinkedHashMap<>());
    ByteString before = document.isEmpty() ? docs.remove(kind) : docs.put(kind, document);
    if (docs.isEmpty()) {
      settings.remove(bucket);
    }
    if (!document.equals(before == null ? ByteString.EMPTY : before)) {
      settingsChanges++; // only a change makes the sites read again
    }
  }

  /** The settings of {@code bucket}, by kind. */
  Map<String, ByteString> settings(String bucket) {
    return settings.getOrDefault(bucket, Map.of());
  }

  long settingsChanges() {
    return settingsChanges;
  }

  /** Each bucket's redirect policy, where it is not the default (adaptive). */
  private final Map<String, RedirectPolicy> policies = new LinkedHashMap<>();

  void setPolicy(String bucket, RedirectPolicy policy) {
    if (policy == RedirectPolicy.ADAPTIVE) {
      policies.remove(bucket);
    } else {
      policies.put(bucket, policy);
    }
  }

  RedirectPolicy policy(String bucket) {
    return policies.getOrDefault(bucket, RedirectPolicy.ADAPTIVE);
  }

  /** The policies that are not adaptive, by name, for operators. */
  Map<String, String> policyNames() {
    Map<String, String> out = new LinkedHashMap<>();
    policies.forEach((b, p) -> out.put(b, p == RedirectPolicy.RECALL ? "recall" : "redirect"));
    return out;
  }

  /** The origin {@code bucket} is bound to, or empty if it is unbound. */
  String originOf(String bucket) {
    return origins.getOrDefault(bucket, "");
  }

  /** Binds {@code bucket} to {@code origin} unless it is bound; returns its origin. */
  String bind(String bucket, String origin) {
    return origins.computeIfAbsent(bucket, b -> origin);
  }

  /** Sets the bucket's write mode; {@code liveRenewals} is each live session's renewal count. */
  void setWriteBack(String bucket, boolean on, Map<Long, Long> liveRenewals) {
    if (!on) {
      writeBack.remove(bucket);
      pending.remove(bucket);
      return;
    }
    if (!writeBack.add(bucket)) {
      return;
    }
    Map<Long, Long> needed = new LinkedHashMap<>();
    liveRenewals.forEach((session, renewals) -> needed.put(session, renewals + 2));
    if (!needed.isEmpty()) {
      pending.put(bucket, needed);
    }
  }

  /**
   * A session renewed (now at {@code renewals}) or ended (-1): it may complete pending switches.
   */
  void renewed(long session, long renewals) {
    Iterator<Map<Long, Long>> it = pending.values().iterator();
    while (it.hasNext()) {
      Map<Long, Long> needed = it.next();
      Long target = needed.get(session);
      if (target != null && (renewals < 0 || renewals >= target)) {
        needed.remove(session);
      }
      if (needed.isEmpty()) {
        it.remove();
      }
    }
  }

  /** Whether WRITE grants in {@code bucket} are write-back now. */
  boolean writeBackInEffect(String bucket) {
    return writeBack.contains(bucket) && !pending.containsKey(bucket);
  }

  Map<String, String> origins() {
    return Map.copyOf(origins);
  }

  List<String> writeBackBuckets() {
    return List.copyOf(writeBack);
  }

  int size() {
    return origins.size();
  }

  void snapshot(TableSnapshot.Builder b) {
    b.putAllBucketOrigins(origins).addAllWriteBackBuckets(writeBack).putAllBucketPolicies(policies);
    pending.forEach((bucket, needed) ->
        b.addPendingModes(PendingMode.newBuilder().setBucket(bucket).putAllRenewalsNeeded(needed)));
    settings.forEach((bucket, docs) ->
        b.addBucketSettings(BucketSettings.newBuilder().setBucket(bucket).putAllDocuments(docs)));
    b.setSettingsChanges(settingsChanges);
  }

  /** Restores the table. */
  void restore(TableSnapshot s) {
    origins.clear();
    writeBack.clear();
    pending.clear();
    origins.putAll(s.getBucketOriginsMap());
    policies.clear();
    policies.putAll(s.getBucketPoliciesMap());
    writeBack.addAll(s.getWriteBackBucketsList());
    for (PendingMode p : s.getPendingModesList()) {
      pending.put(p.getBucket(), new LinkedHashMap<>(p.getRenewalsNeededMap()));
    }
    settings.clear();
    for (BucketSettings bs : s.getBucketSettingsList()) {
      settings.put(bs.getBucket(), new LinkedHashMap<>(bs.getDocumentsMap()));
    }
    settingsChanges = s.getSettingsChanges();
  }
}
