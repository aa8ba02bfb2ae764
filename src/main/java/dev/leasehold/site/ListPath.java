package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.lease.DirtyOwner;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.Leases;
import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectVersion;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.origin.Origin;
import dev.leasehold.peer.Unflushed;
import java.util.ArrayList;
import java.util.List;

/**
 * The list path: one page of a bucket's keys from the origin. S3 never lists a common prefix that
 * does not sort after the marker (so resuming after a common prefix does not list it again); this
 * step holds every origin to that rule.
 *
 * <p>In a bucket that may hold dirty elements (write-back, docs/protocol.md, Listing), the page is
 * the origin's merged with the coordinator's overlay of unflushed puts and deletes under the prefix
 * ({@link ListOverlay}), read linearizably, so a LIST after an acknowledged write includes it, at
 * every site. Thread-safe.
 */
final class ListPath {
  private static final int MAX_ROUNDS = 1000;

  private final Origin origin;
  private final Leases leases;
  private final PeerReads peers;

  ListPath(Origin origin, Leases leases, PeerReads peers) {
    this.origin = origin;
    this.leases = leases;
    this.peers = peers;
  }

  /**
   * One page of versions. A bucket that may hold dirty elements never kept versions through
   * Leasehold (docs/s3-api.md, Versioning), so its page is its listing, each key's one version
   * {@code null} and latest; any other bucket's is the origin's.
   */
  VersionListing listVersions(String bucket, VersionListRequest request) {
    if (!leases.listing().overlaid(bucket)) {
      return origin.listVersions(bucket, request);
    }
    Listing page =
        list(
            bucket,
            new ListRequest(
                request.prefix(), request.delimiter(), request.keyMarker(), request.maxKeys()));
    List<ObjectVersion> versions = new java.util.ArrayList<>(page.objects().size());
    for (ObjectInfo o : page.objects()) {
      versions.add(new ObjectVersion(o, true, false));
    }
    return new VersionListing(versions, page.commonPrefixes(), page.truncated());
  }

  Listing list(String bucket, ListRequest request) {
    if (request.maxKeys() == 0 || !leases.listing().overlaid(bucket)) {
      return originPage(bucket, request);
    }
    List<Unflushed> dirty = unflushed(bucket, request.prefix());
    if (dirty.isEmpty()) {
      return originPage(bucket, request);
    }
    ListRequest ask = request;
    for (int round = 0; ; round++) {
      Listing page = originPage(bucket, ask);
      ListOverlay.Merged merged =
          ListOverlay.merge(ask, page, dirty, cp -> stillHolds(bucket, cp, dirty));
      if (!merged.listing().objects().isEmpty()
          || !merged.listing().commonPrefixes().isEmpty()
          || !merged.listing().truncated()
          || round >= MAX_ROUNDS) {
        return merged.listing();
      }
      // Every key of the origin's page was deleted meanwhile: go on from where it ended.
      ask =
          new ListRequest(
              request.prefix(), request.delimiter(), merged.resume(), request.maxKeys());
    }
  }

  /**
   * Every unflushed put and delete under the prefix, in key order, as its owner answers for it: the
   * coordinator names the owners (linearizably), each owner its keys (this site from its own
   * leases, another through its peer port). An owner that is down makes the LIST 503: what it holds
   * is unknown, and the origin's older versions must not stand in for it. Asked before the origin
   * is listed, so a key flushed meanwhile is found at the origin.
   */
  private List<Unflushed> unflushed(String bucket, String prefix) {
    List<DirtyOwner> owners;
    try {
      owners = leases.listing().overlay(bucket, prefix);
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
    java.util.TreeMap<String, Unflushed> out = new java.util.TreeMap<>(KeyOrder.UTF8);
    for (DirtyOwner owner : owners) {
      if (owner.down() || owner.address().isEmpty()) {
        throw S3Error.SERVICE_UNAVAILABLE.exception(
            "Site "
                + owner.site()
                + " holds unflushed writes under this prefix and is down; the listing is"
                + " unavailable until it returns.");
      }
      List<Unflushed> held =
          owner.site().equals(leases.site())
              ? PeerAnswers.unflushed(leases, bucket, prefix)
              : peers.unflushed(owner, bucket, prefix);
      held.forEach(u -> out.put(u.key(), u));
    }
    return new ArrayList<>(out.values());
  }

  /** Whether the origin holds a key under {@code prefix} that the overlay does not delete. */
  private boolean stillHolds(String bucket, String prefix, List<Unflushed> dirty) {
    java.util.Set<String> deleted = new java.util.HashSet<>();
    for (Unflushed d : dirty) {
      if (d.info() == null && d.key().startsWith(prefix)) {
        deleted.add(d.key());
      }
    }
    Listing under =
        origin.list(
            bucket, new ListRequest(prefix, null, null, Math.min(1000, deleted.size() + 1)));
    for (ObjectInfo o : under.objects()) {
      if (!deleted.contains(o.key())) {
        return true;
      }
    }
    return under.truncated();
  }

  private Listing originPage(String bucket, ListRequest request) {
    if (request.maxKeys() == 0) {
      if (!origin.bucketExists(bucket)) {
        throw S3Error.NO_SUCH_BUCKET.exception().with("BucketName", bucket);
      }
      return new Listing(List.of(), List.of(), false);
    }
    String marker = request.startAfter();
    ListRequest ask = request;
    for (int round = 0; ; round++) {
      Listing page = origin.list(bucket, ask);
      if (marker == null || marker.isEmpty()) {
        return page;
      }
      List<String> prefixes = new ArrayList<>();
      for (String p : page.commonPrefixes()) {
        if (KeyOrder.compare(p, marker) > 0) {
          prefixes.add(p);
        }
      }
      if (prefixes.size() == page.commonPrefixes().size()) {
        return page;
      }
      if (!page.objects().isEmpty()
          || !prefixes.isEmpty()
          || !page.truncated()
          || round >= MAX_ROUNDS) {
        return new Listing(page.objects(), prefixes, page.truncated());
      }
      // The page held only the marker's own common prefix: skip past everything under it.
      String skipped = page.commonPrefixes().get(page.commonPrefixes().size() - 1);
      ask =
          new ListRequest(
              request.prefix(),
              request.delimiter(),
              KeyOrder.pastPrefix(skipped),
              request.maxKeys());
    }
  }
}
