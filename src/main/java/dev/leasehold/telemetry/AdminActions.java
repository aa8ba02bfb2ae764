package dev.leasehold.telemetry;

import java.util.List;
import java.util.Map;

/**
 * What the admin API can ask of a site, answered as JSON-ready maps. Implemented where the parts
 * meet (the {@code cli} package's wiring); implementations are thread-safe.
 */
public interface AdminActions {
  /** Every site of the namespace and the coordinator's view of the group. */
  Map<String, Object> sites();

  /** Every bucket the namespace has bound, with its origin and write mode. */
  Map<String, Object> buckets();

  /** The cache: size, budget, chunks, hits and misses. */
  Map<String, Object> cache();

  /** What this site holds on {@code bucket/key}: its READ lease, if any, and the version. */
  Map<String, Object> lease(String bucket, String key);

  /** The coordinator's view of every element under {@code prefix}: versions and holders. */
  Map<String, Object> leases(String bucket, String prefix, int limit);

  /**
   * Loads every object under {@code prefix} into this site's cache, reporting to {@code progress};
   * returns when done. Throws what stopped it.
   */
  void warm(String bucket, String prefix, Progress progress);

  /** Drops this site's cached chunks of every object under {@code prefix}; how many. */
  long evict(String bucket, String prefix);

  /** Keeps this site's cached chunks under {@code prefix} from eviction (until unpinned). */
  void pin(String bucket, String prefix);

  /** Lets them be evicted again; whether the prefix was pinned. */
  boolean unpin(String bucket, String prefix);

  /**
   * Sets a bucket's write mode for every site: {@code write-back} or {@code write-through}
   * (docs/protocol.md, Writes); and what a request for an object another site owns does: {@code
   * adaptive}, {@code redirect} or {@code recall}.
   */
  void setWriteMode(String bucket, String mode, String policy);

  /**
   * Declares a site lost (docs/protocol.md, Ownership): its unflushed versions fall back to their
   * last clean ones. Returns the lost objects, as {@code bucket/key}.
   */
  List<String> declareLost(String site);

  /** Takes a prefix WRITE lease for this site (write-back buckets); describes it. */
  String takePrefix(String bucket, String prefix);

  /** Flushes what this site wrote under its prefix lease, then gives it back; whether held. */
  boolean givePrefixBack(String bucket, String prefix);

  /**
   * Changes the coordinator group: {@code add-peer}, {@code remove-peer}, {@code transfer-leader}
   * or {@code show}; the group after it ({@code peers}, {@code leader}).
   */
  Map<String, Object> changeCoordinatorGroup(String change, String id, String address);

  /** Where a long action has got to; thread-safe. */
  interface Progress {
    /** {@code objects} more were found to do, of {@code bytes} in all. */
    void found(long objects, long bytes);

    /** One object is done: {@code bytes} of it are cached. */
    void done(long bytes);
  }
}
