package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
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

  /**
   * @param name the name of {@code store} in the bucket table: the same at every site that reaches
   *     the store, whatever endpoint each uses
   */
  BucketBindings(Leases leases, Origin store, String name) {
    this.leases = leases;
    this.store = store;
    this.origin = name;
  }

  /**
   * Returns if this site may serve {@code bucket}, which its origin has. If the origin lacks it:
   * 503 if the coordinator has it bound to another origin (this site is misconfigured), else {@code
   * NoSuchBucket}; either way nothing is bound (the table holds no bucket anyone merely named). A
   * bucket bound to another origin is 503 too.
   */
  void check(String bucket) {
    if (agreed.contains(bucket)) {
      return;
    }
    if (!store.bucketExists(bucket)) {
      String bound;
      try {
        bound = leases.admin().boundOrigin(bucket);
      } catch (LeaseUnavailableException e) {
        throw LeaseErrors.of(e);
      }
      if (!bound.isEmpty() && !bound.equals(origin)) {
        throw misconfigured(bucket, bound);
      }
      throw S3Error.NO_SUCH_BUCKET.exception().with("BucketName", bucket);
    }
    bind(bucket);
  }

  /**
   * As {@link #check}, for a caller who signed nothing: a bucket the origin lacks is {@code
   * NoSuchBucket} without asking the coordinator whether another origin has it, so that unsigned
   * requests for made-up buckets write nothing to the coordinator's log.
   */
  void checkUnsigned(String bucket) {
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
      throw misconfigured(bucket, bound);
    }
    agreed.add(bucket);
  }

  private S3Exception misconfigured(String bucket, String bound) {
    LOG.error(
        "bucket {} lives in origin {} (the coordinator's bucket table), not in this site's"
            + " origin {}: refusing to serve it",
        bucket,
        bound,
        origin);
    return S3Error.SERVICE_UNAVAILABLE.exception(
        "Bucket "
            + bucket
            + " lives in another origin than this site's; the site is misconfigured.");
  }
}
