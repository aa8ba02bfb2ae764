package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.BucketInfo;
import dev.leasehold.object.UploadInfo;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.origin.Origin;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Incomplete multipart uploads do not pile up (docs/security.md): an upload not completed within
 * {@code multipart-expiry} of its start is aborted, its parts deleted, by a sweep of every bucket
 * that runs every half expiry (at most hourly); and a bucket holds at most {@code max-uploads} open
 * uploads, beyond which a new one is answered 503 {@code SlowDown} (after the expired ones are
 * swept). Aborting an upload that another site aborted first is harmless ({@code NoSuchUpload} is
 * ignored).
 *
 * <p>Thread-safe: stateless over the origin; its one thread runs the sweeps.
 */
final class UploadLimits implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UploadLimits.class);
  private static final int PAGE = 1000;

  /** The limits; immutable. */
  record Settings(Duration expiry, int maxUploads) {}

  private final Origin origin;
  private final Settings settings;
  private final Clock clock;
  private final @Nullable ScheduledExecutorService sweeps;

  UploadLimits(Origin origin, Settings settings, Clock clock, boolean sweep) {
    this.origin = origin;
    this.settings = settings;
    this.clock = clock;
    if (sweep) {
      long period =
          Math.max(100, Math.min(settings.expiry().toMillis() / 2, Duration.ofHours(1).toMillis()));
      ScheduledExecutorService s =
          Executors.newSingleThreadScheduledExecutor(
              Thread.ofPlatform().daemon().name("upload-sweep").factory());
      s.scheduleWithFixedDelay(this::sweepAll, period, period, TimeUnit.MILLISECONDS);
      this.sweeps = s;
    } else {
      this.sweeps = null;
    }
  }

  /** Before a new upload in {@code bucket}: 503 SlowDown if it holds max-uploads already. */
  void beforeCreate(String bucket) {
    if (count(bucket) < settings.maxUploads()) {
      return;
    }
    sweep(bucket);
    if (count(bucket) >= settings.maxUploads()) {
      throw S3Error.SLOW_DOWN.exception(
          "Bucket "
              + bucket
              + " has "
              + settings.maxUploads()
              + " multipart uploads in progress; complete or abort some first.");
    }
  }

  /** Open uploads in {@code bucket}, counted up to max-uploads. */
  private int count(String bucket) {
    int[] n = new int[1];
    pages(bucket, page -> (n[0] += page.uploads().size()) < settings.maxUploads());
    return n[0];
  }

  /** Aborts the uploads of {@code bucket} older than the expiry. */
  void sweep(String bucket) {
    Instant before = clock.instant().minus(settings.expiry());
    pages(
        bucket,
        page -> {
          for (UploadInfo u : page.uploads()) {
            if (u.initiated().isBefore(before)) {
              abort(bucket, u);
            }
          }
          return true;
        });
  }

  private void abort(String bucket, UploadInfo u) {
    try {
      origin.abortUpload(bucket, u.key(), u.uploadId());
      LOG.info(
          "aborted the multipart upload {} of {}/{}, started {} (older than {})",
          u.uploadId(),
          bucket,
          u.key(),
          u.initiated(),
          settings.expiry());
    } catch (dev.leasehold.error.S3Exception e) {
      if (e.error() != S3Error.NO_SUCH_UPLOAD) {
        throw e;
      }
    }
  }

  /** Hands {@code bucket}'s uploads to {@code more} a page at a time, while it answers true. */
  private void pages(String bucket, java.util.function.Predicate<UploadListing> more) {
    String keyMarker = null;
    String idMarker = null;
    while (true) {
      UploadListing page =
          origin.listUploads(bucket, new UploadListRequest("", null, keyMarker, idMarker, PAGE));
      if (!more.test(page) || !page.truncated() || page.uploads().isEmpty()) {
        return;
      }
      UploadInfo last = page.uploads().get(page.uploads().size() - 1);
      keyMarker = last.key();
      idMarker = last.uploadId();
    }
  }

  private void sweepAll() {
    try {
      for (BucketInfo b : origin.listBuckets()) {
        sweep(b.name());
      }
    } catch (RuntimeException e) {
      LOG.warn(
          "a sweep of expired multipart uploads failed; the next one retries: {}", e.toString());
    }
  }

  @Override
  public void close() {
    if (sweeps != null) {
      sweeps.shutdownNow();
    }
  }
}
