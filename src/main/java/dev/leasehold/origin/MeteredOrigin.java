package dev.leasehold.origin;

import dev.leasehold.error.WouldWait;
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
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * An origin that counts what is asked of it: {@code leasehold_origin_requests_total{operation,
 * outcome}} and {@code leasehold_origin_bytes_total{direction}} (bytes read from it, written to
 * it), with a span per call ({@code origin <operation>}; for a read, until the stream is open).
 * Everything else is the wrapped origin's.
 *
 * <p>Thread-safe: meters are registered up front; the wrapped origin is thread-safe.
 */
public final class MeteredOrigin implements Origin {
  /** The origin calls, as labels. */
  enum Operation {
    LIST_BUCKETS,
    CREATE_BUCKET,
    DELETE_BUCKET,
    HEAD_BUCKET,
    HEAD,
    PART_SPAN,
    READ,
    PUT,
    DELETE,
    LIST,
    CREATE_UPLOAD,
    UPLOAD_PART,
    COMPLETE_UPLOAD,
    ABORT_UPLOAD,
    LIST_PARTS,
    LIST_UPLOADS,
    UPDATE_METADATA,
    VERSIONING,
    SET_VERSIONING,
    HEAD_VERSION,
    READ_VERSION,
    DELETE_VERSION,
    LIST_VERSIONS,
    OBJECT_LOCK,
    SET_OBJECT_LOCK,
    LOCK,
    SET_LOCK;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Origin origin;
  private final Counter[] ok = new Counter[Operation.values().length];
  private final Counter[] failed = new Counter[Operation.values().length];
  private final Counter bytesIn;
  private final Counter bytesOut;
  private final Tracer tracer;

  public MeteredOrigin(Origin origin, MeterRegistry registry, OpenTelemetry telemetry) {
    this.origin = origin;
    this.tracer = telemetry.getTracer("dev.leasehold.origin");
    for (Operation op : Operation.values()) {
      ok[op.ordinal()] = requests(registry, op, "ok");
      failed[op.ordinal()] = requests(registry, op, "error");
    }
    this.bytesIn =
        Counter.builder("leasehold.origin.bytes")
            .description("Object bytes moved between the site and its origin")
            .baseUnit("bytes")
            .tag("direction", "in")
            .register(registry);
    this.bytesOut =
        Counter.builder("leasehold.origin.bytes")
            .description("Object bytes moved between the site and its origin")
            .baseUnit("bytes")
            .tag("direction", "out")
            .register(registry);
  }

  private static Counter requests(MeterRegistry registry, Operation op, String outcome) {
    return Counter.builder("leasehold.origin.requests")
        .description("Calls to the origin, by operation and outcome")
        .tag("operation", op.label())
        .tag("outcome", outcome)
        .register(registry);
  }

  private <T> T call(Operation op, Supplier<T> call) {
    WouldWait.check(); // every call waits for the origin
    Span span = tracer.spanBuilder("origin " + op.label()).setSpanKind(SpanKind.CLIENT).startSpan();
    try (Scope scope = span.makeCurrent()) {
      T result = call.get();
      ok[op.ordinal()].increment();
      return result;
    } catch (RuntimeException e) {
      failed[op.ordinal()].increment();
      span.setStatus(StatusCode.ERROR, String.valueOf(e.getMessage()));
      throw e;
    } finally {
      span.end();
    }
  }

  private void run(Operation op, Runnable call) {
    call(
        op,
        () -> {
          call.run();
          return Boolean.TRUE;
        });
  }

  @Override
  public String describe() {
    return origin.describe();
  }

  @Override
  public List<BucketInfo> listBuckets() {
    return call(Operation.LIST_BUCKETS, origin::listBuckets);
  }

  @Override
  public void createBucket(String bucket) {
    run(Operation.CREATE_BUCKET, () -> origin.createBucket(bucket));
  }

  @Override
  public void deleteBucket(String bucket) {
    run(Operation.DELETE_BUCKET, () -> origin.deleteBucket(bucket));
  }

  @Override
  public boolean bucketExists(String bucket) {
    return call(Operation.HEAD_BUCKET, () -> origin.bucketExists(bucket));
  }

  @Override
  public ObjectInfo head(String bucket, String key) {
    return call(Operation.HEAD, () -> origin.head(bucket, key));
  }

  @Override
  public @Nullable ObjectInfo headInBucket(String bucket, String key) {
    return call(Operation.HEAD, () -> origin.headInBucket(bucket, key));
  }

  @Override
  public PartSpan partSpan(String bucket, String key, String etag, int partNumber) {
    return call(Operation.PART_SPAN, () -> origin.partSpan(bucket, key, etag, partNumber));
  }

  @Override
  public @Nullable Peek peek(String bucket, String key, long offset, long length) {
    Peek p = call(Operation.READ, () -> origin.peek(bucket, key, offset, length));
    return p == null ? null : new Peek(p.version(), p.offset(), p.length(), counted(p.body()));
  }

  @Override
  public InputStream read(String bucket, String key, String etag, long offset, long length) {
    return counted(call(Operation.READ, () -> origin.read(bucket, key, etag, offset, length)));
  }

  /** {@code in}, adding what is read from it to the bytes read from the origin. */
  private InputStream counted(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          bytesIn.increment();
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
          bytesIn.increment(n);
        }
        return n;
      }
    };
  }

  @Override
  public ObjectInfo put(
      String bucket,
      String key,
      Payload payload,
      ObjectMetadata metadata,
      WriteCondition condition) {
    ObjectInfo info =
        call(Operation.PUT, () -> origin.put(bucket, key, payload, metadata, condition));
    bytesOut.increment(payload.length());
    return info;
  }

  @Override
  public Deletion delete(String bucket, String key, @Nullable String ifMatch) {
    return call(Operation.DELETE, () -> origin.delete(bucket, key, ifMatch));
  }

  @Override
  public ObjectInfo updateMetadata(
      String bucket, String key, String etag, String name, @Nullable String value) {
    return call(
        Operation.UPDATE_METADATA, () -> origin.updateMetadata(bucket, key, etag, name, value));
  }

  @Override
  public @Nullable String versioning(String bucket) {
    return call(Operation.VERSIONING, () -> origin.versioning(bucket));
  }

  @Override
  public void setVersioning(String bucket, boolean enabled) {
    run(Operation.SET_VERSIONING, () -> origin.setVersioning(bucket, enabled));
  }

  @Override
  public ObjectInfo headVersion(String bucket, String key, String versionId) {
    return call(Operation.HEAD_VERSION, () -> origin.headVersion(bucket, key, versionId));
  }

  @Override
  public InputStream readVersion(
      String bucket, String key, String versionId, String etag, long offset, long length) {
    return counted(
        call(
            Operation.READ_VERSION,
            () -> origin.readVersion(bucket, key, versionId, etag, offset, length)));
  }

  @Override
  public Deletion deleteVersion(
      String bucket, String key, String versionId, boolean bypassGovernance) {
    return call(
        Operation.DELETE_VERSION,
        () -> origin.deleteVersion(bucket, key, versionId, bypassGovernance));
  }

  @Override
  public @Nullable LockConfiguration objectLock(String bucket) {
    return call(Operation.OBJECT_LOCK, () -> origin.objectLock(bucket));
  }

  @Override
  public void setObjectLock(String bucket, LockConfiguration configuration) {
    run(Operation.SET_OBJECT_LOCK, () -> origin.setObjectLock(bucket, configuration));
  }

  @Override
  public ObjectLock lock(String bucket, String key, @Nullable String versionId) {
    return call(Operation.LOCK, () -> origin.lock(bucket, key, versionId));
  }

  @Override
  public void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<ObjectLock> change,
      boolean bypassGovernance) {
    run(Operation.SET_LOCK, () -> origin.setLock(bucket, key, versionId, change, bypassGovernance));
  }

  @Override
  public VersionListing listVersions(String bucket, VersionListRequest request) {
    return call(Operation.LIST_VERSIONS, () -> origin.listVersions(bucket, request));
  }

  @Override
  public Listing list(String bucket, ListRequest request) {
    return call(Operation.LIST, () -> origin.list(bucket, request));
  }

  @Override
  public String createUpload(String bucket, String key, ObjectMetadata metadata) {
    return call(Operation.CREATE_UPLOAD, () -> origin.createUpload(bucket, key, metadata));
  }

  @Override
  public PartInfo uploadPart(
      String bucket, String key, String uploadId, int partNumber, Payload payload) {
    PartInfo info =
        call(
            Operation.UPLOAD_PART,
            () -> origin.uploadPart(bucket, key, uploadId, partNumber, payload));
    bytesOut.increment(payload.length());
    return info;
  }

  @Override
  public ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      @Nullable Checksum checksum) {
    return call(
        Operation.COMPLETE_UPLOAD,
        () -> origin.completeUpload(bucket, key, uploadId, parts, condition, checksum));
  }

  @Override
  public List<PartInfo> objectParts(String bucket, String key, String etag) {
    return call(Operation.LIST_PARTS, () -> origin.objectParts(bucket, key, etag));
  }

  @Override
  public void abortUpload(String bucket, String key, String uploadId) {
    run(Operation.ABORT_UPLOAD, () -> origin.abortUpload(bucket, key, uploadId));
  }

  @Override
  public PartListing listParts(
      String bucket, String key, String uploadId, int marker, int maxParts) {
    return call(
        Operation.LIST_PARTS, () -> origin.listParts(bucket, key, uploadId, marker, maxParts));
  }

  @Override
  public UploadListing listUploads(String bucket, UploadListRequest request) {
    return call(Operation.LIST_UPLOADS, () -> origin.listUploads(bucket, request));
  }

  @Override
  public void close() {
    origin.close();
  }
}
