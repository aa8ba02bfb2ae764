package dev.leasehold.cli;

import dev.leasehold.cache.ChunkCache;
import dev.leasehold.cache.ChunkKey;
import dev.leasehold.lease.CoordinatorQueries;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.ReadLease;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.protocol.ElementView;
import dev.leasehold.protocol.SiteEntry;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.site.GetRequest;
import dev.leasehold.site.ObjectRead;
import dev.leasehold.site.Preconditions;
import dev.leasehold.site.SiteGateway;
import dev.leasehold.telemetry.AdminActions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's actions at one site, over its gateway (so a warm-up reads exactly as a client
 * would: under leases, through the cache), its cache and its leases. Thread-safe: holds only
 * thread-safe parts.
 */
final class SiteAdmin implements AdminActions {
  private static final int PAGE = 1000;

  private final String site;
  private final SiteGateway gateway;
  private final ChunkCache cache;
  private final Leases leases;
  private final CoordinatorQueries queries;

  SiteAdmin(
      String site,
      SiteGateway gateway,
      ChunkCache cache,
      Leases leases,
      CoordinatorQueries queries) {
    this.site = site;
    this.gateway = gateway;
    this.cache = cache;
    this.leases = leases;
    this.queries = queries;
  }

  @Override
  public Map<String, Object> sites() {
    StatusReply status = queries.status();
    List<Map<String, Object>> sites = new ArrayList<>();
    for (SiteEntry e : status.getSitesList()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("site", e.getSite());
      s.put("admin", e.getAddress());
      sites.add(s);
    }
    Map<String, Object> coordinator = new LinkedHashMap<>();
    coordinator.put("leader", status.getLeaderId());
    coordinator.put("leaderAddress", status.getLeaderAddress());
    coordinator.put("peers", new java.util.TreeMap<>(status.getPeersMap()));
    coordinator.put("appliedIndex", status.getAppliedIndex());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("self", site);
    out.put("sessionValid", leases.valid());
    out.put("coordinatorReachable", leases.coordinatorReachable());
    out.put("sites", sites);
    out.put("coordinator", coordinator);
    return out;
  }

  @Override
  public Map<String, Object> buckets() {
    List<Map<String, Object>> buckets = new ArrayList<>();
    var status = queries.status();
    java.util.Set<String> writeBack = java.util.Set.copyOf(status.getWriteBackBucketsList());
    new java.util.TreeMap<>(status.getBucketOriginsMap())
        .forEach((bucket, origin) -> {
          Map<String, Object> b = new LinkedHashMap<>();
          b.put("bucket", bucket);
          b.put("origin", origin);
          b.put("writeMode", writeBack.contains(bucket) ? "write-back" : "write-through");
          b.put("policy", status.getBucketPoliciesMap().getOrDefault(bucket, "adaptive"));
          buckets.add(b);
        });
    return Map.of("buckets", buckets);
  }

  @Override
  public void setWriteMode(String bucket, String mode, String policy) {
    boolean on =
        switch (mode) {
          case "write-back" -> true;
          case "write-through" -> false;
          default ->
              throw new IllegalArgumentException(
                  "mode must be write-back or write-through, not '" + mode + "'");
        };
    leases.admin().setWriteMode(bucket, on, policy);
  }

  @Override
  public String takePrefix(String bucket, String prefix) {
    return gateway.takePrefix(bucket, prefix).toString();
  }

  @Override
  public boolean givePrefixBack(String bucket, String prefix) {
    return gateway.givePrefixBack(bucket, prefix);
  }

  @Override
  public Map<String, Object> changeCoordinatorGroup(String change, String id, String address) {
    return leases.admin().changeGroup(change, id, address);
  }

  @Override
  public List<String> declareLost(String site) {
    return leases.admin().declareLost(site);
  }

  @Override
  public Map<String, Object> cache() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("sizeBytes", cache.weightedSize());
    out.put("budgetBytes", cache.budget());
    out.put("chunks", cache.size());
    out.put("chunkSizeBytes", cache.chunkSize());
    out.put("memoryBytes", cache.memorySize());
    out.put("hits", cache.chunkHits());
    out.put("misses", cache.chunkMisses());
    out.put("bytesFromCache", cache.bytesFromCache());
    out.put("pinnedBytes", cache.pinnedBytes());
    List<Map<String, String>> pins = new ArrayList<>();
    cache.pins().forEach(p -> pins.add(Map.of("bucket", p.getKey(), "prefix", p.getValue())));
    out.put("pins", pins);
    return out;
  }

  @Override
  public Map<String, Object> lease(String bucket, String key) {
    ReadLease lease = leases.held(bucket, key);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bucket", bucket);
    out.put("key", key);
    out.put("held", lease != null);
    if (lease != null) {
      out.put("mode", "read");
      out.put("version", lease.version());
      out.put("known", lease.known());
      ObjectInfo info = lease.info();
      out.put("exists", info != null);
      if (info != null) {
        out.put("etag", info.etag());
        out.put("size", info.size());
      }
    }
    return out;
  }

  @Override
  public Map<String, Object> leases(String bucket, String prefix, int limit) {
    List<Map<String, Object>> elements = new ArrayList<>();
    for (ElementView e : queries.inspect(bucket, prefix, limit)) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("key", e.getKey());
      v.put("version", e.getVersion().getVersion());
      v.put("known", e.getVersion().getKnown());
      if (e.getVersion().getKnown()) {
        v.put("exists", e.getVersion().getExists());
        v.put("etag", e.getVersion().getEtag());
      }
      v.put("epoch", e.getEpoch());
      v.put("readers", e.getReadersList());
      v.put("writer", e.getWriter());
      v.put("pendingWriter", e.getPendingWriter());
      elements.add(v);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bucket", bucket);
    out.put("prefix", prefix);
    out.put("elements", elements);
    return out;
  }

  @Override
  public void warm(String bucket, String prefix, Progress progress) {
    @Nullable String after = null;
    while (true) {
      Listing page = gateway.list(bucket, new ListRequest(prefix, null, after, PAGE));
      long bytes = 0;
      for (ObjectInfo o : page.objects()) {
        bytes += o.size();
      }
      progress.found(page.objects().size(), bytes);
      for (ObjectInfo o : page.objects()) {
        ObjectRead read = gateway.get(GetRequest.whole(bucket, o.key(), Preconditions.NONE));
        try {
          read.transferTo((file, position, count) -> file.close()); // loaded is enough
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        progress.done(read.info().size());
        after = o.key();
      }
      if (!page.truncated() || page.objects().isEmpty()) {
        return;
      }
    }
  }

  @Override
  public void pin(String bucket, String prefix) {
    cache.pin(bucket, prefix);
  }

  @Override
  public boolean unpin(String bucket, String prefix) {
    return cache.unpin(bucket, prefix);
  }

  @Override
  public long evict(String bucket, String prefix) {
    long n = 0;
    for (ChunkKey k : cache.keys()) {
      if (k.bucket().equals(bucket) && k.key().startsWith(prefix)) {
        cache.invalidate(k);
        n++;
      }
    }
    return n;
  }
}
