package dev.leasehold.site;

import dev.leasehold.cache.ChunkCache;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.flush.FlushSettings;
import dev.leasehold.flush.Flusher;
import dev.leasehold.flush.Journal;
import dev.leasehold.flush.JournaledOrigin;
import dev.leasehold.flush.Uploader;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.PrefixLease;
import dev.leasehold.object.BucketInfo;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.Deletion;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.LockConfiguration;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectLock;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartListing;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.Origin;
import dev.leasehold.peer.PeerClient;
import dev.leasehold.peer.PeerService;
import io.opentelemetry.context.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A site over one origin: composes the read, write, list, copy and multipart paths, with leases for
 * every read and write of an object, and the write-back flusher. Thread-safe; holds no state of its
 * own (the flusher's is the flusher's).
 */
public final class SiteGateway implements Gateway, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SiteGateway.class);
  private static final int DELETE_PARALLELISM = 16;

  private final Origin origin;
  private final BucketBindings buckets;
  private final ReadPath reads;
  private final WritePath writes;
  private final ListPath lists;
  private final Copies copies;
  private final MultipartPath multipart;
  private final UploadLimits uploads;
  private final Flusher flusher;
  private final Leases leases;
  private final PeerAnswers peerAnswers;

  /**
   * @param originName the name buckets are bound to in the coordinator's bucket table (the origin's
   *     {@code origin-name}, or its description)
   * @param originCheck how long a version this site saw at the origin is served without asking the
   *     origin again (see {@link LeaseVersionCheck})
   * @param journal the write-back journal (recovered), on the staging area's file system
   * @param flush when and how many write-back flushes run
   * @param peerClient how this site calls other sites' peer ports (redirected reads, LISTs)
   * @param multipartExpiry how long an upload may stay incomplete before it is aborted
   * @param maxUploads the most uploads in progress in one bucket
   */
  public SiteGateway(
      Origin origin,
      String originName,
      ChunkCache cache,
      Staging staging,
      Leases leases,
      Duration originCheck,
      Journal journal,
      FlushSettings flush,
      PeerClient peerClient,
      Duration multipartExpiry,
      int maxUploads) {
    this.origin = origin;
    this.leases = leases;
    this.buckets = new BucketBindings(leases, origin, originName);
    LeaseVersionCheck versions =
        new LeaseVersionCheck(leases, origin, originCheck, System::nanoTime);
    this.flusher =
        new Flusher(journal, new Uploader(origin), leases, flush.delay(), flush.concurrency());
    leases.ownerEvents(flusher);
    WriteGuard guard = new WriteGuard(leases, origin, versions, flusher);
    PeerReads peers = new PeerReads(peerClient, staging.dir());
    this.reads = new ReadPath(versions, cache, new JournaledOrigin(origin, journal), peers);
    this.peerAnswers = new PeerAnswers(reads, buckets, leases);
    this.writes = new WritePath(staging, origin, cache, guard, journal);
    this.lists = new ListPath(origin, leases, peers);
    this.copies = new Copies(reads, writes, staging);
    this.uploads =
        new UploadLimits(
            origin,
            new UploadLimits.Settings(multipartExpiry, maxUploads),
            java.time.Clock.systemUTC(),
            true);
    this.multipart = new MultipartPath(staging, origin, reads, guard, uploads);
  }

  /** What this site answers other sites of its namespace (served by a {@code PeerServer}). */
  public PeerService peerService() {
    return peerAnswers;
  }

  /**
   * Takes a prefix WRITE lease for this site: writes of keys under {@code bucket/prefix} need no
   * coordinator round trip until another site's request recalls it (or {@link #givePrefixBack}).
   */
  public PrefixLease takePrefix(String bucket, String prefix) {
    buckets.check(bucket);
    return leases.acquirePrefix(bucket, prefix);
  }

  /** Flushes everything under a prefix lease this site holds, then gives it back; whether held. */
  public boolean givePrefixBack(String bucket, String prefix) {
    PrefixLease lease = leases.prefix(bucket, prefix);
    if (lease == null) {
      return false;
    }
    flusher.prefixRecalled(lease);
    return true;
  }

  /** Registers the journal and flush meters. */
  public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    flusher.bindMetrics(registry);
  }

  /**
   * A graceful stop's flush: the write-back journal within {@code within}, then no more flushes
   * ({@link Flusher#flushAllAndStop}); whether none runs anymore.
   */
  public boolean flushAllAndStop(java.time.Duration within) throws InterruptedException {
    return flusher.flushAllAndStop(within);
  }

  /** Stops the flusher; what is dirty stays in the journal for the next start. */
  @Override
  public void close() {
    uploads.close();
    flusher.close();
  }

  @Override
  public List<BucketInfo> listBuckets() {
    return origin.listBuckets();
  }

  @Override
  public void createBucket(String bucket) {
    buckets.bind(bucket);
    origin.createBucket(bucket);
  }

  @Override
  public void deleteBucket(String bucket) {
    buckets.check(bucket);
    origin.deleteBucket(bucket);
    try {
      leases.settings().set(bucket, "", null); // a bucket made again later starts with none
    } catch (LeaseUnavailableException e) {
      LOG.warn(
          "bucket {} was deleted, but its settings stay at the coordinator: {}",
          bucket,
          e.getMessage());
    }
  }

  @Override
  public void headBucket(String bucket) {
    buckets.check(bucket);
    if (!origin.bucketExists(bucket)) {
      throw S3Error.NO_SUCH_BUCKET.exception().with("BucketName", bucket);
    }
  }

  @Override
  public byte @Nullable [] bucketSetting(String bucket, String kind) {
    buckets.check(bucket);
    try {
      return leases.settings().get(bucket, kind);
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
  }

  @Override
  public void checkBucketUnsigned(String bucket) {
    buckets.checkUnsigned(bucket);
  }

  @Override
  public void setBucketSetting(String bucket, String kind, byte @Nullable [] document) {
    buckets.check(bucket);
    try {
      leases.settings().set(bucket, kind, document);
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
  }

  @Override
  public ObjectRead get(GetRequest request) {
    buckets.check(request.bucket());
    return reads.read(request, true);
  }

  @Override
  public ObjectRead head(GetRequest request) {
    buckets.check(request.bucket());
    return reads.read(request, false);
  }

  @Override
  public ObjectInfo put(PutRequest request, Upload body) {
    buckets.check(request.bucket());
    return writes.put(request, body);
  }

  @Override
  public Deletion delete(String bucket, String key) {
    buckets.check(bucket);
    return writes.delete(bucket, key);
  }

  @Override
  public ObjectInfo setObjectEntry(
      String bucket, String key, @Nullable String versionId, String name, @Nullable String value) {
    buckets.check(bucket);
    return writes.setMetadataEntry(bucket, key, versionId, name, value);
  }

  @Override
  public @Nullable String versioning(String bucket) {
    buckets.check(bucket);
    return origin.versioning(bucket);
  }

  @Override
  public void setVersioning(String bucket, boolean enabled) {
    buckets.check(bucket);
    if (leases.listing().overlaid(bucket)) {
      // A write-back write is acknowledged before the origin names its version.
      throw S3Error.INVALID_BUCKET_STATE.exception(
          "The versioning of a write-back bucket cannot be set: its writes are acknowledged before"
              + " the origin gives them version ids.");
    }
    origin.setVersioning(bucket, enabled);
  }

  @Override
  public ObjectRead getVersion(GetRequest request, String versionId, boolean body) {
    buckets.check(request.bucket());
    return latestNull(request.bucket(), versionId)
        ? reads.read(request, body)
        : reads.readVersion(request, versionId, body);
  }

  @Override
  public Deletion deleteVersion(
      String bucket, String key, String versionId, boolean bypassGovernance) {
    buckets.check(bucket);
    return latestNull(bucket, versionId)
        ? writes.delete(bucket, key)
        : writes.deleteVersion(bucket, key, versionId, bypassGovernance);
  }

  @Override
  public @Nullable LockConfiguration objectLock(String bucket) {
    buckets.check(bucket);
    return origin.objectLock(bucket);
  }

  @Override
  public void setObjectLock(String bucket, LockConfiguration configuration) {
    buckets.check(bucket);
    origin.setObjectLock(bucket, configuration);
  }

  @Override
  public ObjectLock lock(String bucket, String key, @Nullable String versionId) {
    buckets.check(bucket);
    return origin.lock(bucket, key, versionId);
  }

  @Override
  public void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<ObjectLock> change,
      boolean bypassGovernance) {
    buckets.check(bucket);
    writes.setLock(bucket, key, versionId, change, bypassGovernance);
  }

  /**
   * Whether {@code versionId} names the latest version of a write-back bucket's key: such a bucket
   * keeps no versions (see {@link #setVersioning}), so its {@code null} version is the latest,
   * which may be dirty at a site and is read and deleted only under leases, never at the origin.
   */
  private boolean latestNull(String bucket, @Nullable String versionId) {
    return "null".equals(versionId) && leases.listing().overlaid(bucket);
  }

  /** {@code source}, naming the latest version if the one it names is that (see latestNull). */
  private CopySource resolved(CopySource source) {
    return latestNull(source.bucket(), source.versionId())
        ? new CopySource(
            source.bucket(), source.key(), null, source.preconditions(), source.range())
        : source;
  }

  @Override
  public VersionListing listVersions(String bucket, VersionListRequest request) {
    buckets.check(bucket);
    return lists.listVersions(bucket, request);
  }

  @Override
  public List<DeleteOutcome> deleteAll(
      String bucket,
      List<String> keys,
      List<@Nullable String> versionIds,
      boolean bypassGovernance) {
    buckets.check(bucket);
    // Each key is its own write under its own WRITE lease: up to DELETE_PARALLELISM at once, so a
    // batch of a thousand keys costs a few grant round trips of time, not a thousand.
    AtomicReferenceArray<DeleteOutcome> outcomes = new AtomicReferenceArray<>(keys.size());
    Context context = Context.current();
    Semaphore slots = new Semaphore(DELETE_PARALLELISM);
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < keys.size(); i++) {
        int n = i;
        slots.acquireUninterruptibly();
        threads.execute(
            context.wrap(() -> {
              try {
                outcomes.set(
                    n, deleteOne(bucket, keys.get(n), versionIds.get(n), bypassGovernance));
              } finally {
                slots.release();
              }
            }));
      }
    } // closing waits for every delete
    List<DeleteOutcome> out = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      DeleteOutcome o = outcomes.get(i);
      if (o.error() != null && o.error().error() == S3Error.NO_SUCH_BUCKET) {
        throw o.error();
      }
      out.add(o);
    }
    return out;
  }

  private DeleteOutcome deleteOne(
      String bucket, String key, @Nullable String versionId, boolean bypassGovernance) {
    try {
      Deletion done =
          versionId == null || latestNull(bucket, versionId)
              ? writes.delete(bucket, key)
              : writes.deleteVersion(bucket, key, versionId, bypassGovernance);
      return DeleteOutcome.deleted(key, versionId, done);
    } catch (S3Exception e) {
      return DeleteOutcome.failed(key, versionId, e);
    } catch (RuntimeException e) {
      LOG.error("deleting {}/{} failed unexpectedly", bucket, key, e);
      return DeleteOutcome.failed(key, versionId, S3Error.INTERNAL_ERROR.exception());
    }
  }

  @Override
  public ObjectInfo copy(CopyRequest request) {
    buckets.check(request.source().bucket());
    buckets.check(request.bucket());
    return copies.copy(request.withSource(resolved(request.source())));
  }

  @Override
  public Listing list(String bucket, ListRequest request) {
    buckets.check(bucket);
    return lists.list(bucket, request);
  }

  @Override
  public String createUpload(String bucket, String key, ObjectMetadata metadata) {
    buckets.check(bucket);
    return multipart.create(bucket, key, metadata);
  }

  @Override
  public PartInfo uploadPart(
      String bucket, String key, String uploadId, int partNumber, Upload body) {
    buckets.check(bucket);
    return multipart.uploadPart(bucket, key, uploadId, partNumber, body);
  }

  @Override
  public PartInfo uploadPartCopy(
      String bucket, String key, String uploadId, int partNumber, CopySource source) {
    buckets.check(source.bucket());
    buckets.check(bucket);
    return multipart.uploadPartCopy(bucket, key, uploadId, partNumber, resolved(source));
  }

  @Override
  public ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      dev.leasehold.object.@Nullable Checksum checksum) {
    buckets.check(bucket);
    return multipart.complete(bucket, key, uploadId, parts, condition, checksum);
  }

  @Override
  public List<PartInfo> objectParts(String bucket, String key, String etag) {
    buckets.check(bucket);
    return origin.objectParts(bucket, key, etag);
  }

  @Override
  public void abortUpload(String bucket, String key, String uploadId) {
    buckets.check(bucket);
    multipart.abort(bucket, key, uploadId);
  }

  @Override
  public PartListing listParts(
      String bucket, String key, String uploadId, int marker, int maxParts) {
    buckets.check(bucket);
    return multipart.listParts(bucket, key, uploadId, marker, maxParts);
  }

  @Override
  public UploadListing listUploads(String bucket, UploadListRequest request) {
    buckets.check(bucket);
    return multipart.listUploads(bucket, request);
  }
}
