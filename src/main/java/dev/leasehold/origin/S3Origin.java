package dev.leasehold.origin;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.object.BucketInfo;
import dev.leasehold.object.Checksum;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.Deletion;
import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.LockConfiguration;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectLock;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.ObjectVersion;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartListing;
import dev.leasehold.object.PartSpan;
import dev.leasehold.object.UploadInfo;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.object.WriteCondition;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CreateBucketConfiguration;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An origin in any S3-compatible store, through the AWS SDK for Java v2 (blocking client on the
 * Apache HTTP client; callers are virtual threads).
 *
 * <p>Thread-safe: the SDK client is.
 */
public final class S3Origin implements Origin {
  /** The origin's user-metadata name that carries a stored object's checksum. */
  static final String CHECKSUM = Checksum.METADATA_NAME;

  /**
   * How to reach the store. Immutable.
   *
   * @param endpoint the store's URL, such as {@code http://127.0.0.1:9000}
   * @param region the signing region
   * @param pathStyle address buckets as {@code /bucket/key} rather than by host name
   * @param accessKey the store's access key
   * @param secretKey the store's secret key
   */
  public record Settings(
      URI endpoint, String region, boolean pathStyle, String accessKey, String secretKey) {
    @Override
    public String toString() {
      return "Settings[endpoint="
          + endpoint
          + ", region="
          + region
          + ", pathStyle="
          + pathStyle
          + ", accessKey="
          + accessKey
          + "]";
    }
  }

  private final Settings settings;
  private final S3Client s3;

  public S3Origin(Settings settings) {
    this.settings = settings;
    this.s3 =
        S3Client.builder()
            .endpointOverride(settings.endpoint())
            .region(Region.of(settings.region()))
            .forcePathStyle(settings.pathStyle())
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())))
            // No "Expect: 100-continue" on uploads: it costs every PUT of a megabyte or more one
            // round trip to the store before the body leaves, to save the body of the rare write
            // the store refuses (Leasehold's writes are fenced; a refused one is an exception).
            .serviceConfiguration(S3Configuration.builder().expectContinueEnabled(false).build())
            // Leasehold verifies checksums itself and sends Content-MD5 with every write.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .httpClientBuilder(
                Apache5HttpClient.builder()
                    .maxConnections(256)
                    .connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofSeconds(60)))
            .build();
  }

  @Override
  public String describe() {
    return "s3://" + settings.endpoint().getAuthority() + " (region " + settings.region() + ")";
  }

  @Override
  public List<BucketInfo> listBuckets() {
    return SdkCalls.call(
        "listing buckets",
        () -> {
          List<BucketInfo> out = new ArrayList<>();
          for (Bucket b : s3.listBuckets().buckets()) {
            out.add(new BucketInfo(b.name(), b.creationDate()));
          }
          return out;
        });
  }

  @Override
  public void createBucket(String bucket) {
    SdkCalls.call(
        "creating bucket " + bucket,
        () ->
            s3.createBucket(r -> {
              r.bucket(bucket);
              if (!settings.region().equals("us-east-1")) {
                r.createBucketConfiguration(
                    CreateBucketConfiguration.builder()
                        .locationConstraint(settings.region())
                        .build());
              }
            }));
  }

  @Override
  public void deleteBucket(String bucket) {
    SdkCalls.call("deleting bucket " + bucket, () -> s3.deleteBucket(r -> r.bucket(bucket)));
  }

  @Override
  public boolean bucketExists(String bucket) {
    try {
      SdkCalls.call("checking bucket " + bucket, () -> s3.headBucket(r -> r.bucket(bucket)));
      return true;
    } catch (S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_BUCKET) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public ObjectInfo head(String bucket, String key) {
    HeadObjectResponse h =
        notFoundAs(bucket, key, () -> s3.headObject(r -> r.bucket(bucket).key(key)));
    return info(key, h);
  }

  @Override
  public @Nullable ObjectInfo headInBucket(String bucket, String key) {
    HeadObjectResponse h;
    try {
      h =
          SdkCalls.call(
              "reading " + bucket + "/" + key, () -> s3.headObject(r -> r.bucket(bucket).key(key)));
    } catch (S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_KEY) {
        return null; // not asked whether the bucket exists: the caller knows it does
      }
      throw e;
    }
    return info(key, h);
  }

  @Override
  public @Nullable Peek peek(String bucket, String key, long offset, long length) {
    ResponseInputStream<GetObjectResponse> in;
    try {
      in =
          SdkCalls.call(
              "reading " + bucket + "/" + key,
              () ->
                  s3.getObject(r ->
                      r.bucket(bucket)
                          .key(key)
                          .range("bytes=" + offset + "-" + (offset + length - 1))));
    } catch (S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_KEY || e.error() == S3Error.NO_SUCH_BUCKET) {
        return Peek.absent(offset); // the caller knows the bucket exists
      }
      if (e.error() == S3Error.INVALID_RANGE) {
        return null; // no byte at offset (an empty object, or a shorter one)
      }
      throw e;
    }
    GetObjectResponse h = in.response();
    String range = h.contentRange(); // "bytes first-last/total"; none if the whole object came
    long size =
        range == null || range.indexOf('/') < 0
            ? (h.contentLength() == null ? 0 : h.contentLength())
            : Long.parseLong(range.substring(range.indexOf('/') + 1).trim());
    ObjectInfo version =
        info(
                key,
                size,
                h.eTag(),
                h.lastModified(),
                withLock(
                    metadata(
                        h.contentType(),
                        h.contentEncoding(),
                        h.contentDisposition(),
                        h.contentLanguage(),
                        h.cacheControl(),
                        h.expiresString(),
                        h.metadata()),
                    h.objectLockModeAsString(),
                    h.objectLockRetainUntilDate(),
                    h.objectLockLegalHoldStatusAsString()),
                h.partsCount())
            .withVersionId(versionId(h.versionId()));
    long n = Math.max(0, Math.min(length, size - offset));
    return new Peek(version, offset, n, new BoundedInputStream(in, n));
  }

  @Override
  public PartSpan partSpan(String bucket, String key, String etag, int partNumber) {
    HeadObjectResponse h =
        notFoundAs(
            bucket,
            key,
            () ->
                s3.headObject(
                    r -> r.bucket(bucket).key(key).ifMatch(quote(etag)).partNumber(partNumber)));
    int parts = h.partsCount() == null ? 1 : h.partsCount();
    String range = h.contentRange();
    if (range == null) {
      if (partNumber != 1) {
        throw S3Error.INVALID_PART_NUMBER.exception();
      }
      return new PartSpan(0, h.contentLength(), parts);
    }
    // "bytes first-last/total"
    String span = range.substring(range.indexOf(' ') + 1, range.indexOf('/'));
    long first = Long.parseLong(span.substring(0, span.indexOf('-')));
    return new PartSpan(first, h.contentLength(), parts);
  }

  @Override
  public InputStream read(String bucket, String key, String etag, long offset, long length) {
    ResponseInputStream<GetObjectResponse> in =
        notFoundAs(
            bucket,
            key,
            () ->
                s3.getObject(r ->
                    r.bucket(bucket)
                        .key(key)
                        .ifMatch(quote(etag))
                        .range("bytes=" + offset + "-" + (offset + length - 1))));
    return new BoundedInputStream(in, length);
  }

  @Override
  public ObjectInfo put(
      String bucket,
      String key,
      Payload payload,
      ObjectMetadata metadata,
      WriteCondition condition) {
    software.amazon.awssdk.services.s3.model.PutObjectResponse put =
        SdkCalls.call(
            "writing " + bucket + "/" + key,
            () ->
                s3.putObject(
                    r -> {
                      r.bucket(bucket)
                          .key(key)
                          .contentLength(payload.length())
                          .contentMD5(Base64.getEncoder().encodeToString(payload.md5()))
                          .metadata(originUserMetadata(metadata))
                          .contentType(metadata.contentType())
                          .contentEncoding(metadata.contentEncoding())
                          .contentDisposition(metadata.contentDisposition())
                          .contentLanguage(metadata.contentLanguage())
                          .cacheControl(metadata.cacheControl())
                          .expires(parseHttpDate(metadata.expires()));
                      lockFields(
                          metadata,
                          r::objectLockMode,
                          r::objectLockRetainUntilDate,
                          r::objectLockLegalHoldStatus);
                      if (condition.ifAbsent()) {
                        r.ifNoneMatch("*");
                      }
                      if (condition.ifMatch() != null) {
                        r.ifMatch(quote(condition.ifMatch()));
                      }
                    },
                    RequestBody.fromContentProvider(
                        () -> open(payload), payload.length(), contentType(metadata))));
    // A PutObject response carries no Last-Modified; the write's own time stands in for it rather
    // than a second round trip.
    return info(key, payload.length(), put.eTag(), Instant.now(), metadata, null)
        .withVersionId(versionId(put.versionId()));
  }

  @Override
  public Deletion delete(String bucket, String key, @Nullable String ifMatch) {
    software.amazon.awssdk.services.s3.model.DeleteObjectResponse deleted =
        SdkCalls.call(
            "deleting " + bucket + "/" + key,
            () ->
                s3.deleteObject(r ->
                    r.bucket(bucket).key(key).ifMatch(ifMatch == null ? null : quote(ifMatch))));
    return deletion(deleted);
  }

  private static Deletion deletion(
      software.amazon.awssdk.services.s3.model.DeleteObjectResponse deleted) {
    boolean marker = Boolean.TRUE.equals(deleted.deleteMarker());
    return new Deletion(marker ? versionId(deleted.versionId()) : deleted.versionId(), marker);
  }

  /**
   * S3 changes an object's metadata only by copying it onto itself with the new metadata: the
   * version the answer names is that copy (a new Last-Modified, and in a bucket that keeps versions
   * a new version id; an object uploaded in parts gets a single-part ETag).
   */
  @Override
  public ObjectInfo updateMetadata(
      String bucket, String key, String etag, String name, @Nullable String value) {
    ObjectInfo current = head(bucket, key);
    if (!current.etag().equals(etag)) {
      throw S3Error.PRECONDITION_FAILED.exception().with("Condition", "If-Match");
    }
    ObjectMetadata metadata = current.metadata().withUserEntry(name, value);
    software.amazon.awssdk.services.s3.model.CopyObjectResponse copied =
        SdkCalls.call(
            "writing the metadata of " + bucket + "/" + key,
            () ->
                s3.copyObject(r ->
                    r.sourceBucket(bucket)
                        .sourceKey(key)
                        .destinationBucket(bucket)
                        .destinationKey(key)
                        .copySourceIfMatch(quote(etag))
                        .metadataDirective(
                            software.amazon.awssdk.services.s3.model.MetadataDirective.REPLACE)
                        .metadata(originUserMetadata(metadata))
                        .contentType(contentType(metadata))
                        .contentEncoding(metadata.contentEncoding())
                        .contentDisposition(metadata.contentDisposition())
                        .contentLanguage(metadata.contentLanguage())
                        .cacheControl(metadata.cacheControl())
                        .expires(parseHttpDate(metadata.expires()))
                        .applyMutation(c ->
                            lockFields(
                                metadata,
                                c::objectLockMode,
                                c::objectLockRetainUntilDate,
                                c::objectLockLegalHoldStatus))));
    String versionId = copied.versionId();
    ObjectInfo now = versionId == null ? head(bucket, key) : headVersion(bucket, key, versionId);
    return now.withVersionId(versionId(versionId));
  }

  // ---- versions: the origin's own, passed through

  @Override
  public @Nullable String versioning(String bucket) {
    software.amazon.awssdk.services.s3.model.BucketVersioningStatus status;
    try {
      status =
          SdkCalls.call(
                  "reading the versioning of " + bucket,
                  () -> s3.getBucketVersioning(r -> r.bucket(bucket)))
              .status();
    } catch (S3Exception e) {
      if (e.error() == S3Error.NOT_IMPLEMENTED) {
        return null; // an origin that keeps no versions
      }
      throw e;
    }
    return status == null
            || status
                == software.amazon.awssdk.services.s3.model.BucketVersioningStatus
                    .UNKNOWN_TO_SDK_VERSION
        ? null
        : status.toString();
  }

  @Override
  public void setVersioning(String bucket, boolean enabled) {
    SdkCalls.call(
        "setting the versioning of " + bucket,
        () ->
            s3.putBucketVersioning(r ->
                r.bucket(bucket)
                    .versioningConfiguration(c ->
                        c.status(
                            enabled
                                ? software.amazon.awssdk.services.s3.model.BucketVersioningStatus
                                    .ENABLED
                                : software.amazon.awssdk.services.s3.model.BucketVersioningStatus
                                    .SUSPENDED))));
  }

  @Override
  public ObjectInfo headVersion(String bucket, String key, String versionId) {
    HeadObjectResponse h;
    try {
      h =
          notFoundAs(
              bucket,
              key,
              () -> s3.headObject(r -> r.bucket(bucket).key(key).versionId(versionId)));
    } catch (S3Exception e) {
      if (unversioned(e, versionId)) {
        return head(bucket, key);
      }
      if (e.error() == S3Error.NO_SUCH_KEY && headInBucket(bucket, key) != null) {
        // A HEAD's 404 does not say which: the key is there, so the version is not.
        throw S3Error.NO_SUCH_VERSION.exception().with("Key", key).with("VersionId", versionId);
      }
      throw e;
    }
    return info(key, h);
  }

  @Override
  public InputStream readVersion(
      String bucket, String key, String versionId, String etag, long offset, long length) {
    ResponseInputStream<GetObjectResponse> in;
    try {
      in =
          notFoundAs(
              bucket,
              key,
              () ->
                  s3.getObject(r ->
                      r.bucket(bucket)
                          .key(key)
                          .versionId(versionId)
                          .ifMatch(quote(etag))
                          .range("bytes=" + offset + "-" + (offset + length - 1))));
    } catch (S3Exception e) {
      if (unversioned(e, versionId)) {
        return read(bucket, key, etag, offset, length);
      }
      throw e;
    }
    return new BoundedInputStream(in, length);
  }

  @Override
  public Deletion deleteVersion(
      String bucket, String key, String versionId, boolean bypassGovernance) {
    software.amazon.awssdk.services.s3.model.DeleteObjectResponse deleted;
    try {
      deleted =
          SdkCalls.call(
              "deleting " + bucket + "/" + key,
              () ->
                  s3.deleteObject(r ->
                      r.bucket(bucket)
                          .key(key)
                          .versionId(versionId)
                          .bypassGovernanceRetention(bypassGovernance ? Boolean.TRUE : null)));
    } catch (S3Exception e) {
      if (unversioned(e, versionId)) {
        delete(bucket, key, null);
        return new Deletion(versionId, false);
      }
      throw e;
    }
    return new Deletion(versionId, Boolean.TRUE.equals(deleted.deleteMarker()));
  }

  /**
   * Whether an origin that keeps no versions (it refused a version id as not implemented, as
   * S3Proxy does) was asked for the version S3 calls {@code null}, its only one: then the call is
   * made without the id. Any other id is one such an origin could never have given: {@code
   * InvalidArgument}, as S3 answers it.
   */
  private static boolean unversioned(S3Exception e, String versionId) {
    if (e.error() != S3Error.NOT_IMPLEMENTED) {
      return false;
    }
    if (versionId.equals("null")) {
      return true;
    }
    throw S3Error.INVALID_ARGUMENT
        .exception("Invalid version id specified")
        .with("ArgumentName", "versionId")
        .with("ArgumentValue", versionId);
  }

  @Override
  public VersionListing listVersions(String bucket, VersionListRequest request) {
    software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse page =
        SdkCalls.call(
            "listing the versions of " + bucket,
            () ->
                s3.listObjectVersions(r ->
                    r.bucket(bucket)
                        .prefix(request.prefix().isEmpty() ? null : request.prefix())
                        .delimiter(request.delimiter())
                        .keyMarker(request.keyMarker())
                        .versionIdMarker(request.versionIdMarker())
                        .maxKeys(request.maxKeys())));
    // The SDK gives versions and markers apart; S3 lists them merged, by key, newest first.
    List<ObjectVersion> all = new ArrayList<>();
    for (software.amazon.awssdk.services.s3.model.ObjectVersion v : page.versions()) {
      ObjectInfo info =
          info(v.key(), v.size(), v.eTag(), v.lastModified(), ObjectMetadata.EMPTY, null)
              .withVersionId(versionId(v.versionId()));
      all.add(new ObjectVersion(info, Boolean.TRUE.equals(v.isLatest()), false));
    }
    for (software.amazon.awssdk.services.s3.model.DeleteMarkerEntry m : page.deleteMarkers()) {
      ObjectInfo info =
          info(m.key(), 0L, "", m.lastModified(), ObjectMetadata.EMPTY, 0)
              .withVersionId(versionId(m.versionId()));
      all.add(new ObjectVersion(info, Boolean.TRUE.equals(m.isLatest()), true));
    }
    // Within a key: its latest first (listing times have a second's resolution, so a version and
    // the marker over it can tie), then newest first.
    all.sort(
        java.util.Comparator.comparing((ObjectVersion v) -> v.info().key(), KeyOrder.UTF8)
            .thenComparing(v -> !v.latest())
            .thenComparing(v -> v.info().lastModified(), java.util.Comparator.reverseOrder()));
    return new VersionListing(
        all, prefixes(page.commonPrefixes()), Boolean.TRUE.equals(page.isTruncated()));
  }

  // ---- Object Lock: the origin's own, passed through

  @Override
  public @Nullable LockConfiguration objectLock(String bucket) {
    software.amazon.awssdk.services.s3.model.ObjectLockConfiguration c;
    try {
      c =
          SdkCalls.call(
                  "reading the Object Lock configuration of " + bucket,
                  () -> s3.getObjectLockConfiguration(r -> r.bucket(bucket)))
              .objectLockConfiguration();
    } catch (S3Exception e) {
      if (e.error() == S3Error.OBJECT_LOCK_CONFIGURATION_NOT_FOUND
          || e.error() == S3Error.NOT_IMPLEMENTED) {
        return null;
      }
      throw e;
    }
    if (c == null || c.objectLockEnabled() == null) {
      return null;
    }
    var retention = c.rule() == null ? null : c.rule().defaultRetention();
    if (retention == null || retention.mode() == null) {
      return LockConfiguration.ENABLED;
    }
    return new LockConfiguration(
        ObjectLock.Mode.valueOf(retention.modeAsString()),
        retention.days() == null ? 0 : retention.days(),
        retention.years() == null ? 0 : retention.years());
  }

  @Override
  public void setObjectLock(String bucket, LockConfiguration configuration) {
    ObjectLock.Mode mode = configuration.mode();
    SdkCalls.call(
        "setting the Object Lock configuration of " + bucket,
        () ->
            s3.putObjectLockConfiguration(r ->
                r.bucket(bucket)
                    .objectLockConfiguration(c -> {
                      c.objectLockEnabled("Enabled");
                      if (mode != null) {
                        c.rule(rule ->
                            rule.defaultRetention(d -> {
                              d.mode(mode.name());
                              if (configuration.days() > 0) {
                                d.days(configuration.days());
                              } else {
                                d.years(configuration.years());
                              }
                            }));
                      }
                    })));
  }

  @Override
  public ObjectLock lock(String bucket, String key, @Nullable String versionId) {
    ObjectInfo version =
        versionId == null ? head(bucket, key) : headVersion(bucket, key, versionId);
    return ObjectLock.of(version.metadata());
  }

  @Override
  public void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<ObjectLock> change,
      boolean bypassGovernance) {
    // S3 sets a retention and a legal hold apart, each whole: only the half that changes is sent.
    ObjectLock current = lock(bucket, key, versionId);
    ObjectLock lock = change.apply(current);
    ObjectLock.Mode mode = lock.mode();
    if (!java.util.Objects.equals(current.mode(), mode)
        || !java.util.Objects.equals(current.retainUntil(), lock.retainUntil())) {
      SdkCalls.call(
          "setting the retention of " + bucket + "/" + key,
          () ->
              s3.putObjectRetention(r ->
                  r.bucket(bucket)
                      .key(key)
                      .versionId(versionId)
                      .bypassGovernanceRetention(bypassGovernance ? Boolean.TRUE : null)
                      .retention(x -> {
                        if (mode != null) {
                          x.mode(mode.name()).retainUntilDate(lock.retainUntil());
                        }
                      })));
    }
    if (current.legalHold() != lock.legalHold()) {
      SdkCalls.call(
          "setting the legal hold of " + bucket + "/" + key,
          () ->
              s3.putObjectLegalHold(r ->
                  r.bucket(bucket)
                      .key(key)
                      .versionId(versionId)
                      .legalHold(h -> h.status(lock.legalHold() ? "ON" : "OFF"))));
    }
  }

  /** A version id as the site keeps it: null for the version S3 calls {@code null}. */
  private static @Nullable String versionId(@Nullable String id) {
    return id == null || id.isEmpty() || id.equals("null") ? null : id;
  }

  @Override
  public Listing list(String bucket, ListRequest request) {
    ListObjectsV2Response page =
        SdkCalls.call(
            "listing " + bucket,
            () ->
                s3.listObjectsV2(r ->
                    r.bucket(bucket)
                        .prefix(request.prefix().isEmpty() ? null : request.prefix())
                        .delimiter(request.delimiter())
                        .startAfter(request.startAfter())
                        .maxKeys(request.maxKeys())));
    List<ObjectInfo> objects = new ArrayList<>();
    for (S3Object o : page.contents()) {
      objects.add(info(o.key(), o.size(), o.eTag(), o.lastModified(), ObjectMetadata.EMPTY, null));
    }
    return new Listing(
        objects, prefixes(page.commonPrefixes()), Boolean.TRUE.equals(page.isTruncated()));
  }

  @Override
  public String createUpload(String bucket, String key, ObjectMetadata metadata) {
    return SdkCalls.call(
        "starting an upload of " + bucket + "/" + key,
        () ->
            s3.createMultipartUpload(
                    r -> {
                      r.bucket(bucket)
                          .key(key)
                          .metadata(originUserMetadata(metadata))
                          .contentType(contentType(metadata))
                          .contentEncoding(metadata.contentEncoding())
                          .contentDisposition(metadata.contentDisposition())
                          .contentLanguage(metadata.contentLanguage())
                          .cacheControl(metadata.cacheControl())
                          .expires(parseHttpDate(metadata.expires()));
                      lockFields(
                          metadata,
                          r::objectLockMode,
                          r::objectLockRetainUntilDate,
                          r::objectLockLegalHoldStatus);
                    })
                .uploadId());
  }

  @Override
  public PartInfo uploadPart(
      String bucket, String key, String uploadId, int partNumber, Payload payload) {
    String etag =
        SdkCalls.call(
            "storing part " + partNumber + " of " + bucket + "/" + key,
            () ->
                s3.uploadPart(
                        r ->
                            r.bucket(bucket)
                                .key(key)
                                .uploadId(uploadId)
                                .partNumber(partNumber)
                                .contentLength(payload.length())
                                .contentMD5(Base64.getEncoder().encodeToString(payload.md5())),
                        RequestBody.fromContentProvider(
                            () -> open(payload), payload.length(), "application/octet-stream"))
                    .eTag());
    return new PartInfo(partNumber, unquote(etag), payload.length(), Instant.now());
  }

  @Override
  public ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      @Nullable Checksum checksum) {
    List<software.amazon.awssdk.services.s3.model.CompletedPart> named = new ArrayList<>();
    for (CompletedPart p : parts) {
      named.add(
          software.amazon.awssdk.services.s3.model.CompletedPart.builder()
              .partNumber(p.partNumber())
              .eTag(quote(p.etag()))
              .build());
    }
    String versionId =
        SdkCalls.call(
            "completing an upload of " + bucket + "/" + key,
            () ->
                s3.completeMultipartUpload(
                        r -> {
                          r.bucket(bucket)
                              .key(key)
                              .uploadId(uploadId)
                              .multipartUpload(
                                  CompletedMultipartUpload.builder().parts(named).build());
                          if (condition.ifAbsent()) {
                            r.ifNoneMatch("*");
                          }
                          if (condition.ifMatch() != null) {
                            r.ifMatch(quote(condition.ifMatch()));
                          }
                        })
                    .versionId());
    ObjectInfo info = versionId == null ? head(bucket, key) : headVersion(bucket, key, versionId);
    return info.withVersionId(versionId(versionId));
  }

  @Override
  public void abortUpload(String bucket, String key, String uploadId) {
    SdkCalls.call(
        "aborting an upload of " + bucket + "/" + key,
        () -> s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)));
  }

  @Override
  public PartListing listParts(
      String bucket, String key, String uploadId, int marker, int maxParts) {
    ListPartsResponse page =
        SdkCalls.call(
            "listing parts of " + bucket + "/" + key,
            () ->
                s3.listParts(r ->
                    r.bucket(bucket)
                        .key(key)
                        .uploadId(uploadId)
                        .partNumberMarker(marker)
                        .maxParts(maxParts)));
    List<PartInfo> parts = new ArrayList<>();
    for (Part p : page.parts()) {
      parts.add(new PartInfo(p.partNumber(), unquote(p.eTag()), p.size(), p.lastModified()));
    }
    return new PartListing(parts, Boolean.TRUE.equals(page.isTruncated()));
  }

  @Override
  public UploadListing listUploads(String bucket, UploadListRequest request) {
    ListMultipartUploadsResponse page =
        SdkCalls.call(
            "listing uploads of " + bucket,
            () ->
                s3.listMultipartUploads(r ->
                    r.bucket(bucket)
                        .prefix(request.prefix().isEmpty() ? null : request.prefix())
                        .delimiter(request.delimiter())
                        .keyMarker(request.keyMarker())
                        .uploadIdMarker(request.uploadIdMarker())
                        .maxUploads(request.maxUploads())));
    List<UploadInfo> uploads = new ArrayList<>();
    for (MultipartUpload u : page.uploads()) {
      uploads.add(new UploadInfo(u.key(), u.uploadId(), u.initiated()));
    }
    return new UploadListing(
        uploads, prefixes(page.commonPrefixes()), Boolean.TRUE.equals(page.isTruncated()));
  }

  @Override
  public void close() {
    s3.close();
  }

  // ---- mapping

  private static List<String> prefixes(List<CommonPrefix> common) {
    List<String> prefixes = new ArrayList<>(common.size());
    for (CommonPrefix p : common) {
      prefixes.add(p.prefix());
    }
    return prefixes;
  }

  private static InputStream open(Payload payload) {
    try {
      return payload.open();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String contentType(ObjectMetadata metadata) {
    return metadata.contentType() == null ? "binary/octet-stream" : metadata.contentType();
  }

  /** The version a HEAD answered with. */
  private static ObjectInfo info(String key, HeadObjectResponse h) {
    return info(key, h.contentLength(), h.eTag(), h.lastModified(), metadata(h), h.partsCount())
        .withVersionId(versionId(h.versionId()));
  }

  private static ObjectMetadata metadata(HeadObjectResponse h) {
    ObjectMetadata metadata =
        metadata(
            h.contentType(),
            h.contentEncoding(),
            h.contentDisposition(),
            h.contentLanguage(),
            h.cacheControl(),
            h.expiresString(),
            h.metadata());
    return withLock(
        metadata,
        h.objectLockModeAsString(),
        h.objectLockRetainUntilDate(),
        h.objectLockLegalHoldStatusAsString());
  }

  /**
   * {@code metadata} keeping the Object Lock the origin answered with ({@link
   * ObjectLock#METADATA_NAME}): S3 keeps a version's lock itself, in fields of its own.
   */
  private static ObjectMetadata withLock(
      ObjectMetadata metadata,
      @Nullable String mode,
      @Nullable Instant until,
      @Nullable String legalHold) {
    ObjectLock lock =
        new ObjectLock(
            mode == null || until == null ? null : ObjectLock.Mode.valueOf(mode),
            mode == null ? null : until,
            "ON".equals(legalHold));
    return ObjectLock.into(metadata, lock);
  }

  /**
   * The metadata an origin answered with. The checksum a site verified on a write is kept in the
   * origin's user metadata under {@link #CHECKSUM} (origins differ in whether they keep S3's own
   * checksum headers; S3Proxy does not), and taken out of the user metadata here.
   */
  private static ObjectMetadata metadata(
      @Nullable String contentType,
      @Nullable String contentEncoding,
      @Nullable String contentDisposition,
      @Nullable String contentLanguage,
      @Nullable String cacheControl,
      @Nullable String expires,
      Map<String, String> origin) {
    Map<String, String> user = origin;
    Checksum checksum = null;
    String stored = origin.get(CHECKSUM);
    if (stored != null) {
      user = new java.util.TreeMap<>(origin);
      user.remove(CHECKSUM);
      checksum = Checksum.decode(stored);
    }
    return new ObjectMetadata(
        contentType,
        contentEncoding,
        contentDisposition,
        contentLanguage,
        cacheControl,
        expires,
        user,
        checksum);
  }

  /** The user metadata written to the origin: the object's, and its checksum if it has one. */
  private static Map<String, String> originUserMetadata(ObjectMetadata metadata) {
    if (metadata.checksum() == null && !metadata.user().containsKey(ObjectLock.METADATA_NAME)) {
      return metadata.user();
    }
    Map<String, String> user = new java.util.TreeMap<>(metadata.user());
    user.remove(ObjectLock.METADATA_NAME); // S3 keeps a lock in fields of its own
    if (metadata.checksum() != null) {
      user.put(CHECKSUM, metadata.checksum().encoded());
    }
    return user;
  }

  /** The Object Lock fields of a write that asks for a lock. */
  private static void lockFields(
      ObjectMetadata metadata,
      java.util.function.Consumer<String> mode,
      java.util.function.Consumer<Instant> until,
      java.util.function.Consumer<String> legalHold) {
    ObjectLock lock = ObjectLock.of(metadata);
    ObjectLock.Mode retention = lock.mode();
    Instant retainUntil = lock.retainUntil();
    if (retention != null && retainUntil != null) {
      mode.accept(retention.name());
      until.accept(retainUntil);
    }
    if (lock.legalHold()) {
      legalHold.accept("ON");
    }
  }

  private static ObjectInfo info(
      String key,
      @Nullable Long size,
      @Nullable String etag,
      @Nullable Instant lastModified,
      ObjectMetadata metadata,
      @Nullable Integer partsCount) {
    String bare = unquote(etag == null ? "" : etag);
    int parts = partsCount != null ? partsCount : partsFromEtag(bare);
    return new ObjectInfo(
        key,
        size == null ? 0 : size,
        bare,
        lastModified == null ? Instant.EPOCH : lastModified,
        metadata,
        parts);
  }

  /** A multipart ETag ends in {@code -N}, the number of parts. */
  private static int partsFromEtag(String etag) {
    int dash = etag.lastIndexOf('-');
    if (dash < 0) {
      return 0;
    }
    try {
      return Integer.parseInt(etag.substring(dash + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static @Nullable Instant parseHttpDate(@Nullable String date) {
    if (date == null) {
      return null;
    }
    try {
      return ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  static String quote(String etag) {
    return '"' + etag + '"';
  }

  static String unquote(String etag) {
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
        ? etag.substring(1, etag.length() - 1)
        : etag;
  }

  /** Runs an object call where a bare 404 (HEAD has no body) means the key or the bucket. */
  private <T> T notFoundAs(String bucket, String key, Supplier<T> call) {
    try {
      return SdkCalls.call("reading " + bucket + "/" + key, call);
    } catch (S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_KEY && !bucketExists(bucket)) {
        throw S3Error.NO_SUCH_BUCKET.exception().with("BucketName", bucket);
      }
      throw e;
    }
  }
}
