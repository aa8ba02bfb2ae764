package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.Leases;
import dev.leasehold.origin.Origin;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's bucket → origin table, as this site uses it: before a site first serves a
 * bucket, it asks which origin the bucket lives in (binding it to its own origin if no site did
 * before), and it serves the bucket only if that is its own origin. Two sites configured with
 * different origins for one bucket would each be consistent with a different store; this refuses
 * that, with a message that names both.
 *
 * <p>Thread-safe: the set of agreed buckets only grows; two first requests may both ask.
 */
final class BucketBindings {
  private static final Logger LOG = LoggerFactory.getLogger(BucketBindings.class);

  private final Leases leases;
  private final Origin store;
  private final String origin;
  private final Set<String> agreed = ConcurrentHashMap.newKeySet();

  BucketBindings(Leases leases, Origin store) {
    this.leases = leases;
    this.store = store;
    this.origin = store.describe();
  }

  /**
   * Returns if this site may serve {@code bucket}, which its origin has; else {@code NoSuchBucket}
   * (and nothing is bound: the table holds no bucket anyone merely named), or 503 naming the
   * bucket's origin.
   */
  void check(String bucket) {
    if (agreed.contains(bucket)) {
      return;
    }
    if (!store.bucketExists(bucket)) {
      throw S3Error.NO_SUCH_BUCKET.exception().with("BucketName", bucket);
    }
    bind(bucket);
  }

  /** Binds {@code bucket} to this site's origin (a CreateBucket), or 503 if it lives elsewhere. */
  void bind(String bucket) {
    if (agreed.contains(bucket)) {
      return;
    }
    String bound;
    try {
      bound = leases.admin().bindBucket(bucket, origin);
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
    if (!bound.equals(origin)) {
      LOG.error(
          "bucket {} lives in origin {} (the coordinator's bucket table), not in this site's"
              + " origin {}: refusing to serve it",
          bucket,
          bound,
          origin);
      throw S3Error.SERVICE_UNAVAILABLE.exception(
          "Bucket "
              + bucket
              + " lives in another origin than this site's; the site is misconfigured.");
    }
    agreed.add(bucket);
  }
}
