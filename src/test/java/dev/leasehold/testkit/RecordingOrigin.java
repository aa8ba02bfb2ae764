package dev.leasehold.testkit;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.BucketInfo;
import dev.leasehold.object.Checksum;
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
import dev.leasehold.object.PartSpan;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.Origin;
import dev.leasehold.origin.Payload;
import dev.leasehold.origin.Peek;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A decorator that counts the calls a site makes to its (real) origin, per operation and per
 * object, so tests can assert what reached the origin; that can refuse writes (puts and deletes
 * answer 503 without reaching the origin) or every call, as an origin outage; and that can hold
 * puts before they reach the origin, as a slow write. Thread-safe.
 */
public final class RecordingOrigin implements Origin {
  /** The operations counted. */
  public enum Call {
    HEAD,
    READ,
    PUT,
    DELETE,
    LIST,
    PART_SPAN,
    OTHER
  }

  private final Origin origin;
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  /** What runs before each read of a version's bytes ({@link #read}), as a change behind it. */
  private volatile @Nullable Runnable beforeRead;

  public RecordingOrigin(Origin origin) {
    this.origin = origin;
  }

  /** Calls of {@code call} on any object. */
  public long count(Call call) {
    return counts.computeIfAbsent(call.name(), k -> new LongAdder()).sum();
  }

  /** Calls of {@code call} on one object. */
  public long count(Call call, String bucket, String key) {
    return counts.computeIfAbsent(call + " " + bucket + "/" + key, k -> new LongAdder()).sum();
  }

  /** Forgets the calls counted and the last peek's figures. */
  public void reset() {
    counts.clear();
    peekBodyWait = -1;
  }

  private volatile boolean writesDown;
  private volatile boolean down;
  private final LongAdder refused = new LongAdder();
  private volatile java.util.concurrent.@Nullable CountDownLatch putGate;
  private final java.util.concurrent.Semaphore putsHeld = new java.util.concurrent.Semaphore(0);

  /** Starts or ends an outage of writes: while on, puts and deletes fail with 503. */
  public void writesDown(boolean down) {
    writesDown = down;
  }

  /**
   * Starts or ends an outage of the whole origin: while on, every call fails with 503 without
   * reaching it (a connection the origin refuses).
   */
  public void down(boolean down) {
    this.down = down;
  }

  /** Calls this decorator refused during an outage (the fault happened). */
  public long refused() {
    return refused.sum();
  }

  /**
   * Holds every put that reaches the origin until {@link #releasePuts}: as an origin write that is
   * slow to land (still in flight when its site's grant lapses).
   */
  public void holdPuts() {
    putGate = new java.util.concurrent.CountDownLatch(1);
  }

  /** Waits until a put is being held; whether one was within {@code timeout}. */
  public boolean awaitHeldPut(java.time.Duration timeout) throws InterruptedException {
    return putsHeld.tryAcquire(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Lets the held puts (and later ones) go on to the origin. */
  public void releasePuts() {
    java.util.concurrent.CountDownLatch gate = putGate;
    putGate = null;
    if (gate != null) {
      gate.countDown();
    }
  }

  private void checkUp() {
    if (down) {
      refused.increment();
      throw S3Error.SERVICE_UNAVAILABLE.exception("The origin is down (a test's outage).");
    }
  }

  private void checkWrites() {
    checkUp();
    if (writesDown) {
      refused.increment();
      throw S3Error.SERVICE_UNAVAILABLE.exception("The origin is down (a test's outage).");
    }
  }

  private void awaitPutGate() {
    java.util.concurrent.CountDownLatch gate = putGate;
    if (gate != null) {
      putsHeld.release();
      try {
        gate.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw S3Error.INTERNAL_ERROR.exception("interrupted while held");
      }
    }
  }

  private void record(Call call, String bucket, String key) {
    counts.computeIfAbsent(call.name(), k -> new LongAdder()).increment();
    counts.computeIfAbsent(call + " " + bucket + "/" + key, k -> new LongAdder()).increment();
  }

  @Override
  public String describe() {
    return origin.describe();
  }

  @Override
  public List<BucketInfo> listBuckets() {
    record(Call.OTHER, "", "");
    checkUp();
    return origin.listBuckets();
  }

  @Override
  public void createBucket(String bucket) {
    record(Call.OTHER, bucket, "");
    checkUp();
    origin.createBucket(bucket);
  }

  @Override
  public void deleteBucket(String bucket) {
    record(Call.OTHER, bucket, "");
    checkUp();
    origin.deleteBucket(bucket);
  }

  @Override
  public boolean bucketExists(String bucket) {
    record(Call.OTHER, bucket, "");
    checkUp();
    return origin.bucketExists(bucket);
  }

  @Override
  public ObjectInfo head(String bucket, String key) {
    record(Call.HEAD, bucket, key);
    checkUp();
    return origin.head(bucket, key);
  }

  @Override
  public @Nullable ObjectInfo headInBucket(String bucket, String key) {
    record(Call.HEAD, bucket, key);
    checkUp();
    return origin.headInBucket(bucket, key);
  }

  @Override
  public PartSpan partSpan(String bucket, String key, String etag, int partNumber) {
    record(Call.PART_SPAN, bucket, key);
    checkUp();
    return origin.partSpan(bucket, key, etag, partNumber);
  }

  /** Counted as a READ: one GET, whose headers stand in for a HEAD. */
  @Override
  public @Nullable Peek peek(String bucket, String key, long offset, long length) {
    record(Call.READ, bucket, key);
    checkUp();
    Peek peek = origin.peek(bucket, key, offset, length);
    if (peek == null) {
      return null;
    }
    long answered = System.nanoTime();
    long stallAfterBytes = stallAfter;
    InputStream body =
        new FilterInputStream(peek.body()) {
          private boolean read;
          private long given;
          private long stallAt = stallAfterBytes; // -1 once it has stalled and been let go

          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            first();
            if (stallAt >= 0) {
              if (given >= stallAt) {
                stall();
                stallAt = -1;
              } else {
                len = (int) Math.min(len, stallAt - given);
              }
            }
            int n = super.read(b, off, len);
            given += Math.max(0, n);
            return n;
          }

          private void stall() throws IOException {
            stalledSince = System.nanoTime();
            try {
              stallGate.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new java.io.InterruptedIOException("interrupted while stalled");
            }
          }

          private void first() {
            if (!read) {
              read = true;
              peekBodyWait = System.nanoTime() - answered;
            }
          }
        };
    return new Peek(peek.version(), peek.offset(), peek.length(), body);
  }

  private volatile long peekBodyWait = -1;
  private volatile long stallAfter = -1;
  private volatile long stalledSince = -1;
  private volatile java.util.concurrent.CountDownLatch stallGate =
      new java.util.concurrent.CountDownLatch(0);

  /**
   * From now on, the body of each answer to a {@link #peek} gives its first {@code bytes} and then
   * stalls, as an origin whose stream stops, until {@link #releaseStalls}.
   */
  public void stallPeekBodiesAfter(long bytes) {
    stalledSince = -1;
    stallGate = new java.util.concurrent.CountDownLatch(1);
    stallAfter = bytes;
  }

  /** When a peek's body last stalled ({@link System#nanoTime}), or -1 if none has. */
  public long stalledSince() {
    return stalledSince;
  }

  /** Lets stalled bodies go on, and later ones run without a stall. */
  public void releaseStalls() {
    stallAfter = -1;
    stallGate.countDown();
  }

  /**
   * How long the bytes of the last answer to a {@link #peek} went unread after the origin answered
   * (in nanoseconds; -1 if none was read yet).
   */
  public long lastPeekBodyWait() {
    return peekBodyWait;
  }

  /**
   * Runs {@code action} before each read of a version's bytes from now on (null: none), such as a
   * write at the origin behind the site's back.
   */
  public void beforeEachRead(@Nullable Runnable action) {
    this.beforeRead = action;
  }

  @Override
  public InputStream read(String bucket, String key, String etag, long offset, long length) {
    record(Call.READ, bucket, key);
    checkUp();
    Runnable action = beforeRead;
    if (action != null) {
      action.run();
    }
    return origin.read(bucket, key, etag, offset, length);
  }

  @Override
  public ObjectInfo put(
      String bucket,
      String key,
      Payload payload,
      ObjectMetadata metadata,
      WriteCondition condition) {
    record(Call.PUT, bucket, key);
    checkWrites();
    awaitPutGate();
    checkWrites(); // an outage that began while it was held fails it
    return origin.put(bucket, key, payload, metadata, condition);
  }

  @Override
  public Deletion delete(String bucket, String key, @Nullable String ifMatch) {
    record(Call.DELETE, bucket, key);
    checkWrites();
    return origin.delete(bucket, key, ifMatch);
  }

  @Override
  public ObjectInfo updateMetadata(
      String bucket, String key, String etag, String name, @Nullable String value) {
    record(Call.PUT, bucket, key);
    checkWrites();
    return origin.updateMetadata(bucket, key, etag, name, value);
  }

  @Override
  public @Nullable String versioning(String bucket) {
    record(Call.OTHER, bucket, "");
    checkUp();
    return origin.versioning(bucket);
  }

  @Override
  public void setVersioning(String bucket, boolean enabled) {
    record(Call.OTHER, bucket, "");
    checkWrites();
    origin.setVersioning(bucket, enabled);
  }

  @Override
  public ObjectInfo headVersion(String bucket, String key, String versionId) {
    record(Call.HEAD, bucket, key);
    checkUp();
    return origin.headVersion(bucket, key, versionId);
  }

  @Override
  public InputStream readVersion(
      String bucket, String key, String versionId, String etag, long offset, long length) {
    record(Call.READ, bucket, key);
    checkUp();
    return origin.readVersion(bucket, key, versionId, etag, offset, length);
  }

  @Override
  public Deletion deleteVersion(
      String bucket, String key, String versionId, boolean bypassGovernance) {
    record(Call.DELETE, bucket, key);
    checkWrites();
    return origin.deleteVersion(bucket, key, versionId, bypassGovernance);
  }

  @Override
  public @Nullable LockConfiguration objectLock(String bucket) {
    record(Call.OTHER, bucket, "");
    checkUp();
    return origin.objectLock(bucket);
  }

  @Override
  public void setObjectLock(String bucket, LockConfiguration configuration) {
    record(Call.OTHER, bucket, "");
    checkWrites();
    origin.setObjectLock(bucket, configuration);
  }

  @Override
  public ObjectLock lock(String bucket, String key, @Nullable String versionId) {
    record(Call.HEAD, bucket, key);
    checkUp();
    return origin.lock(bucket, key, versionId);
  }

  @Override
  public void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<ObjectLock> change,
      boolean bypassGovernance) {
    record(Call.PUT, bucket, key);
    checkWrites();
    origin.setLock(bucket, key, versionId, change, bypassGovernance);
  }

  @Override
  public VersionListing listVersions(String bucket, VersionListRequest request) {
    record(Call.LIST, bucket, request.prefix());
    checkUp();
    return origin.listVersions(bucket, request);
  }

  @Override
  public Listing list(String bucket, ListRequest request) {
    record(Call.LIST, bucket, request.prefix());
    checkUp();
    return origin.list(bucket, request);
  }

  @Override
  public String createUpload(String bucket, String key, ObjectMetadata metadata) {
    record(Call.OTHER, bucket, key);
    return origin.createUpload(bucket, key, metadata);
  }

  @Override
  public PartInfo uploadPart(
      String bucket, String key, String uploadId, int partNumber, Payload payload) {
    record(Call.OTHER, bucket, key);
    return origin.uploadPart(bucket, key, uploadId, partNumber, payload);
  }

  @Override
  public ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      @Nullable Checksum checksum) {
    record(Call.PUT, bucket, key);
    return origin.completeUpload(bucket, key, uploadId, parts, condition, checksum);
  }

  @Override
  public List<PartInfo> objectParts(String bucket, String key, String etag) {
    record(Call.OTHER, bucket, key);
    checkUp();
    return origin.objectParts(bucket, key, etag);
  }

  @Override
  public void abortUpload(String bucket, String key, String uploadId) {
    record(Call.OTHER, bucket, key);
    origin.abortUpload(bucket, key, uploadId);
  }

  @Override
  public PartListing listParts(
      String bucket, String key, String uploadId, int marker, int maxParts) {
    record(Call.OTHER, bucket, key);
    return origin.listParts(bucket, key, uploadId, marker, maxParts);
  }

  @Override
  public UploadListing listUploads(String bucket, UploadListRequest request) {
    record(Call.OTHER, bucket, "");
    return origin.listUploads(bucket, request);
  }

  @Override
  public void close() {
    origin.close();
  }
}
