package dev.leasehold.origin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * An origin in a local directory: one sub-directory per bucket, one directory per object key (see
 * {@link KeyPaths}), the bytes in an immutable data file and the metadata in a side file (see
 * {@link ObjectRecord}).
 *
 * <p>Crash-safe: bytes go to a temporary file that is fsynced, then renamed into place under the
 * object's commit lock, and the side file that makes them visible is replaced by an atomic rename;
 * a crash at any point leaves the old object or the new one, and at worst an unreferenced temporary
 * file. ETags are the MD5 of the bytes, and for multipart objects the MD5 of the parts' MD5s
 * followed by {@code -N}, as S3 computes them.
 *
 * <p>Thread-safe, and safe to share between processes on one machine: commits take a {@link
 * ProcessLocks} stripe; reads take no lock.
 */
public final class DirectoryOrigin implements Origin {
  static final String INTERNAL = ".leasehold";
  private static final String BUCKET_FILE = "bucket.json";
  private static final int MAX_ATTEMPTS = 8;

  private final Path root;
  private final ProcessLocks locks;
  private final DirectoryUploads uploads;

  public DirectoryOrigin(Path root) {
    try {
      this.root = Files.createDirectories(root).toRealPath();
      this.locks = ProcessLocks.open(this.root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open directory origin " + root, e);
    }
    this.uploads = new DirectoryUploads(this);
  }

  @Override
  public String describe() {
    return root.toUri().toString();
  }

  // ---- buckets

  @Override
  public List<BucketInfo> listBuckets() {
    List<BucketInfo> buckets = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (!name.startsWith(".")) {
          buckets.add(new BucketInfo(name, creationDate(dir)));
        }
      }
    } catch (IOException e) {
      throw unavailable("listing buckets", e);
    }
    buckets.sort(Comparator.comparing(BucketInfo::name));
    return buckets;
  }

  @Override
  public void createBucket(String bucket) {
    Path dir = root.resolve(bucket);
    try {
      Files.createDirectory(dir);
    } catch (FileAlreadyExistsException e) {
      throw S3Error.BUCKET_ALREADY_OWNED_BY_YOU.exception().with("BucketName", bucket);
    } catch (IOException e) {
      throw unavailable("creating bucket " + bucket, e);
    }
    try {
      Path internal = Files.createDirectories(dir.resolve(INTERNAL));
      String json = "{\"created\":" + Instant.now().toEpochMilli() + "}";
      Files.writeString(internal.resolve(BUCKET_FILE), json, StandardCharsets.UTF_8);
      DurableFiles.fsync(dir);
      DurableFiles.fsync(root);
    } catch (IOException e) {
      throw unavailable("creating bucket " + bucket, e);
    }
  }

  @Override
  public void deleteBucket(String bucket) {
    Path dir = bucketDir(bucket);
    try (Stream<Path> all = Files.walk(dir)) {
      if (all.anyMatch(p -> p.getFileName().toString().equals(ObjectRecord.FILE))) {
        throw S3Error.BUCKET_NOT_EMPTY.exception().with("BucketName", bucket);
      }
    } catch (IOException e) {
      throw unavailable("deleting bucket " + bucket, e);
    }
    try {
      DurableFiles.deleteTree(dir);
      DurableFiles.fsync(root);
    } catch (IOException e) {
      throw unavailable("deleting bucket " + bucket, e);
    }
  }

  @Override
  public boolean bucketExists(String bucket) {
    return Files.isDirectory(root.resolve(bucket));
  }

  // ---- objects

  @Override
  public ObjectInfo head(String bucket, String key) {
    return current(bucket, key).info();
  }

  @Override
  public PartSpan partSpan(String bucket, String key, String etag, int partNumber) {
    ObjectRecord record = current(bucket, key);
    if (!record.etag().equals(etag)) {
      throw S3Error.PRECONDITION_FAILED.exception("The object changed while it was being read.");
    }
    List<Long> parts = record.parts().isEmpty() ? List.of(record.size()) : record.parts();
    if (partNumber < 1 || partNumber > parts.size()) {
      throw S3Error.INVALID_PART_NUMBER.exception();
    }
    long offset = 0;
    for (int i = 0; i < partNumber - 1; i++) {
      offset += parts.get(i);
    }
    return new PartSpan(offset, parts.get(partNumber - 1), parts.size());
  }

  @Override
  public InputStream read(String bucket, String key, String etag, long offset, long length) {
    return open(bucket, key, etag, offset, length, () -> current(bucket, key));
  }

  /**
   * Opens the bytes of the version {@code version} finds (looked up again if a writer removed its
   * data between the lookup and the open), if it still has ETag {@code etag}.
   */
  private InputStream open(
      String bucket,
      String key,
      String etag,
      long offset,
      long length,
      java.util.function.Supplier<ObjectRecord> version) {
    Path dir = KeyPaths.objectDir(bucketDir(bucket), key);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      ObjectRecord record = version.get();
      if (record.deleteMarker() || !record.etag().equals(etag)) {
        throw S3Error.PRECONDITION_FAILED.exception("The object changed while it was being read.");
      }
      if (offset < 0 || length < 0 || offset + length > record.size()) {
        throw new IllegalArgumentException(
            "read of " + offset + "+" + length + " outside " + record.size() + " bytes");
      }
      try {
        FileChannel data = FileChannel.open(dir.resolve(record.data()), StandardOpenOption.READ);
        data.position(offset);
        return new BoundedInputStream(Channels.newInputStream(data), length);
      } catch (NoSuchFileException replaced) {
        // A writer replaced or removed the version between the lookup and the open: look again.
      } catch (IOException e) {
        throw unavailable("reading " + bucket + "/" + key, e);
      }
    }
    throw S3Error.SLOW_DOWN.exception("The object is being replaced too often to be read.");
  }

  @Override
  public ObjectInfo put(
      String bucket,
      String key,
      Payload payload,
      ObjectMetadata metadata,
      WriteCondition condition) {
    Path bucketDir = bucketDir(bucket);
    String etag = HexFormat.of().formatHex(payload.md5());
    return writeObject(
        bucketDir,
        key,
        tmp -> DurableFiles.copy(payload, tmp),
        (dataName, now) ->
            ObjectRecord.version(key, etag, payload.length(), now, dataName, metadata, List.of()),
        condition);
  }

  @Override
  public Deletion delete(String bucket, String key, @Nullable String ifMatch) {
    Path bucketDir = bucketDir(bucket);
    String versioning = versioning(bucket); // once set, never unset: S3 only suspends it
    if (versioning != null) {
      return addMarker(bucketDir, key, ifMatch, versioning.equals(ENABLED));
    }
    Path dir = KeyPaths.objectDir(bucketDir, key);
    try (ProcessLocks.Held held = locks.lock(bucket + '/' + key)) {
      ObjectRecord record = ObjectRecord.read(dir);
      if (ifMatch != null) {
        check(WriteCondition.ifMatch(ifMatch), live(record), key);
      }
      if (record == null) {
        return Deletion.UNVERSIONED;
      }
      if (!record.older().isEmpty() || record.deleteMarker()) {
        // Versions of a bucket that says it never kept any: its record is not to be trusted.
        throw S3Error.SERVICE_UNAVAILABLE.exception(
            "The origin holds versions of a key in a bucket that keeps none; refusing to delete.");
      }
      Files.delete(dir.resolve(ObjectRecord.FILE));
      DurableFiles.fsync(dir);
      deleteDataFiles(dir, java.util.Set.of());
      pruneEmpty(bucketDir, dir);
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException gone) {
      // nothing stored under that key
      if (ifMatch != null) {
        throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
      }
    } catch (IOException e) {
      throw unavailable("deleting " + bucket + "/" + key, e);
    }
    return Deletion.UNVERSIONED;
  }

  /**
   * A delete in a bucket that keeps versions (or suspended them): a delete marker becomes the
   * latest version, with a new version id if versions are kept, else as the {@code null} version,
   * which replaces any other {@code null} version.
   */
  private Deletion addMarker(
      Path bucketDir, String key, @Nullable String ifMatch, boolean enabled) {
    String bucket = bucketDir.getFileName().toString();
    String id = enabled ? newVersionId() : null;
    for (int attempt = 0; ; attempt++) {
      try {
        Path dir = KeyPaths.createObjectDir(bucketDir, key);
        try (ProcessLocks.Held held = locks.lock(bucket + '/' + key)) {
          ObjectRecord current = ObjectRecord.read(dir);
          if (ifMatch != null) {
            check(WriteCondition.ifMatch(ifMatch), live(current), key);
          }
          ObjectRecord next =
              successor(current, ObjectRecord.marker(key, id, Instant.now().toEpochMilli()));
          next.write(dir);
          DurableFiles.fsync(dir);
          deleteDataFiles(dir, dataNames(next));
          return new Deletion(id, true);
        }
      } catch (NoSuchFileException raced) {
        if (attempt >= MAX_ATTEMPTS) {
          throw S3Error.SLOW_DOWN.exception("The key is being written and deleted too often.");
        }
      } catch (FileSystemException e) {
        if (isNotDirectory(e)) {
          throw S3Error.INVALID_ARGUMENT.exception("The key cannot be stored: " + e.getReason());
        }
        throw unavailable("deleting " + bucket + "/" + key, e);
      } catch (IOException e) {
        throw unavailable("deleting " + bucket + "/" + key, e);
      }
    }
  }

  @Override
  public ObjectInfo updateMetadata(
      String bucket, String key, String etag, String name, @Nullable String value) {
    Path dir = KeyPaths.objectDir(bucketDir(bucket), key);
    try (ProcessLocks.Held held = locks.lock(bucket + '/' + key)) {
      ObjectRecord record = ObjectRecord.read(dir);
      check(WriteCondition.ifMatch(etag), live(record), key);
      ObjectRecord changed =
          java.util.Objects.requireNonNull(record)
              .withMetadata(record.metadata().withUserEntry(name, value));
      changed.write(dir);
      DurableFiles.fsync(dir);
      return changed.info();
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException gone) {
      throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
    } catch (IOException e) {
      throw unavailable("writing " + bucket + "/" + key, e);
    }
  }

  // ---- versions

  static final String ENABLED = "Enabled";
  static final String SUSPENDED = "Suspended";

  @Override
  public @Nullable String versioning(String bucket) {
    return versioningOf(bucketJson(bucketDir(bucket)));
  }

  /** The versioning status a bucket's record holds, or null. */
  private static @Nullable String versioningOf(JsonNode bucketRecord) {
    String status = bucketRecord.path("versioning").asText("");
    return status.isEmpty() ? null : status;
  }

  @Override
  public void setVersioning(String bucket, boolean enabled) {
    changeBucket(
        bucket,
        "setting the versioning of ",
        json -> {
          if (!enabled && json.has(OBJECT_LOCK)) {
            throw S3Error.INVALID_BUCKET_STATE.exception(
                "An Object Lock configuration is present on this bucket, so the versioning state"
                    + " cannot be changed.");
          }
          json.put("versioning", enabled ? ENABLED : SUSPENDED);
        });
  }

  /** Changes the bucket's own record ({@code bucket.json}) under its lock, atomically. */
  private void changeBucket(
      String bucket,
      String what,
      java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> change) {
    Path bucketDir = bucketDir(bucket);
    try (ProcessLocks.Held held = locks.lock(bucket + "/" + INTERNAL)) {
      com.fasterxml.jackson.databind.node.ObjectNode json =
          bucketJson(bucketDir).deepCopy()
                  instanceof com.fasterxml.jackson.databind.node.ObjectNode o
              ? o
              : ObjectRecord.JSON.createObjectNode();
      change.accept(json);
      Path internal = Files.createDirectories(bucketDir.resolve(INTERNAL));
      Path tmp = internal.resolve(".tmp-bucket-" + UUID.randomUUID());
      try {
        try (FileChannel ch =
            FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          ch.write(java.nio.ByteBuffer.wrap(ObjectRecord.JSON.writeValueAsBytes(json)));
          ch.force(true);
        }
        Files.move(tmp, internal.resolve(BUCKET_FILE), StandardCopyOption.ATOMIC_MOVE);
        DurableFiles.fsync(internal);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw unavailable(what + bucket, e);
    }
  }

  // ---- Object Lock

  private static final String OBJECT_LOCK = "objectLock";

  @Override
  public @Nullable LockConfiguration objectLock(String bucket) {
    return objectLockOf(bucketJson(bucketDir(bucket)));
  }

  /** The Object Lock configuration a bucket's record holds, or null. */
  private static @Nullable LockConfiguration objectLockOf(JsonNode bucketRecord) {
    JsonNode lock = bucketRecord.get(OBJECT_LOCK);
    if (lock == null) {
      return null;
    }
    String mode = lock.path("mode").asText("");
    return mode.isEmpty()
        ? LockConfiguration.ENABLED
        : new LockConfiguration(
            ObjectLock.Mode.valueOf(mode), lock.path("days").asInt(), lock.path("years").asInt());
  }

  @Override
  public void setObjectLock(String bucket, LockConfiguration configuration) {
    changeBucket(
        bucket,
        "setting the Object Lock configuration of ",
        json -> {
          if (!json.has(OBJECT_LOCK) && !ENABLED.equals(json.path("versioning").asText())) {
            throw S3Error.INVALID_BUCKET_STATE.exception(
                "Object Lock can be enabled only on a bucket that keeps versions.");
          }
          com.fasterxml.jackson.databind.node.ObjectNode lock = json.putObject(OBJECT_LOCK);
          ObjectLock.Mode mode = configuration.mode();
          if (mode != null) {
            lock.put("mode", mode.name())
                .put("days", configuration.days())
                .put("years", configuration.years());
          }
        });
  }

  @Override
  public ObjectLock lock(String bucket, String key, @Nullable String versionId) {
    ObjectRecord version =
        versionId == null ? current(bucket, key) : version(bucket, key, versionId);
    if (version.deleteMarker()) {
      throw S3Error.METHOD_NOT_ALLOWED.exception().with("ResourceType", "DeleteMarker");
    }
    return ObjectLock.of(version.metadata());
  }

  @Override
  public void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<ObjectLock> change,
      boolean bypassGovernance) {
    if (versionId != null) {
      checkVersionId(versionId);
    }
    Path dir = KeyPaths.objectDir(bucketDir(bucket), key);
    try (ProcessLocks.Held held = locks.lock(bucket + '/' + key)) {
      ObjectRecord record = ObjectRecord.read(dir);
      if (record == null) {
        throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
      }
      List<ObjectRecord> versions = new ArrayList<>(record.versions());
      int at = -1;
      for (int i = 0; i < versions.size(); i++) {
        if (versionId == null ? i == 0 : versions.get(i).named(versionId)) {
          at = i;
          break;
        }
      }
      if (at < 0) {
        throw S3Error.NO_SUCH_VERSION
            .exception()
            .with("Key", key)
            .with("VersionId", String.valueOf(versionId));
      }
      ObjectRecord version = versions.get(at);
      if (version.deleteMarker()) {
        throw S3Error.METHOD_NOT_ALLOWED.exception().with("ResourceType", "DeleteMarker");
      }
      ObjectLock current = ObjectLock.of(version.metadata());
      ObjectLock lock = change.apply(current);
      boolean retentionChanged =
          !java.util.Objects.equals(current.mode(), lock.mode())
              || !java.util.Objects.equals(current.retainUntil(), lock.retainUntil());
      if (retentionChanged
          && !current.mayChangeRetentionTo(lock, Instant.now(), bypassGovernance)) {
        throw S3Error.ACCESS_DENIED.exception(
            "The retention in force may not be shortened, lifted or weakened.");
      }
      versions.set(at, version.withMetadata(ObjectLock.into(version.metadata(), lock)));
      java.util.Objects.requireNonNull(ObjectRecord.of(versions)).write(dir);
      DurableFiles.fsync(dir);
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException gone) {
      throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
    } catch (IOException e) {
      throw unavailable("writing " + bucket + "/" + key, e);
    }
  }

  @Override
  public ObjectInfo headVersion(String bucket, String key, String versionId) {
    ObjectRecord version = version(bucket, key, versionId);
    if (version.deleteMarker()) {
      throw S3Error.METHOD_NOT_ALLOWED
          .exception("The specified method is not allowed against this resource.")
          .with("Method", "GET")
          .with("ResourceType", "DeleteMarker");
    }
    return version.info();
  }

  @Override
  public InputStream readVersion(
      String bucket, String key, String versionId, String etag, long offset, long length) {
    return open(bucket, key, etag, offset, length, () -> version(bucket, key, versionId));
  }

  @Override
  public Deletion deleteVersion(
      String bucket, String key, String versionId, boolean bypassGovernance) {
    checkVersionId(versionId);
    Path bucketDir = bucketDir(bucket);
    Path dir = KeyPaths.objectDir(bucketDir, key);
    try (ProcessLocks.Held held = locks.lock(bucket + '/' + key)) {
      ObjectRecord record = ObjectRecord.read(dir);
      if (record == null) {
        return new Deletion(versionId, false);
      }
      List<ObjectRecord> versions = new ArrayList<>(record.versions());
      ObjectRecord removed = null;
      for (int i = 0; i < versions.size(); i++) {
        if (versions.get(i).named(versionId)) {
          removed = versions.remove(i);
          break;
        }
      }
      if (removed == null) {
        return new Deletion(versionId, false);
      }
      if (!ObjectLock.of(removed.metadata()).deletable(Instant.now(), bypassGovernance)) {
        throw S3Error.ACCESS_DENIED.exception("The version is protected by Object Lock.");
      }
      ObjectRecord next = ObjectRecord.of(versions);
      if (next == null) {
        Files.delete(dir.resolve(ObjectRecord.FILE));
        DurableFiles.fsync(dir);
        deleteDataFiles(dir, java.util.Set.of());
        pruneEmpty(bucketDir, dir);
      } else {
        next.write(dir);
        DurableFiles.fsync(dir);
        deleteDataFiles(dir, dataNames(next));
      }
      return new Deletion(versionId, removed.deleteMarker());
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException gone) {
      return new Deletion(versionId, false);
    } catch (IOException e) {
      throw unavailable("deleting " + bucket + "/" + key, e);
    }
  }

  @Override
  public VersionListing listVersions(String bucket, VersionListRequest request) {
    Path bucketDir = bucketDir(bucket);
    try {
      return DirectoryWalk.versions(request).runVersions(bucketDir);
    } catch (IOException e) {
      throw unavailable("listing " + bucket, e);
    }
  }

  /**
   * {@code InvalidArgument} unless {@code versionId} could name a version here ({@code null}, or an
   * id as {@link #newVersionId} makes them), as S3 answers an id it could never have given.
   */
  private static void checkVersionId(String versionId) {
    if (!versionId.equals("null") && !VERSION_ID.matcher(versionId).matches()) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Invalid version id specified")
          .with("ArgumentName", "versionId")
          .with("ArgumentValue", versionId);
    }
  }

  private static final java.util.regex.Pattern VERSION_ID =
      java.util.regex.Pattern.compile("[0-9a-f]{32}");

  /** The version of {@code key} named {@code versionId}; NoSuchKey, NoSuchVersion. */
  private ObjectRecord version(String bucket, String key, String versionId) {
    checkVersionId(versionId);
    Path bucketDir = bucketDir(bucket);
    ObjectRecord record;
    try {
      record = ObjectRecord.read(KeyPaths.objectDir(bucketDir, key));
    } catch (IOException e) {
      throw unavailable("reading " + bucket + "/" + key, e);
    }
    if (record == null) {
      throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
    }
    for (ObjectRecord v : record.versions()) {
      if (v.named(versionId)) {
        return v;
      }
    }
    throw S3Error.NO_SUCH_VERSION.exception().with("Key", key).with("VersionId", versionId);
  }

  /**
   * The key's record once {@code latest} is written over {@code current}, in the bucket's
   * versioning state as {@code latest}'s version id says: with an id, the current version is kept
   * as the newest older one; without (the {@code null} version), any {@code null} version is
   * replaced (S3: a bucket whose versioning is suspended, or never kept versions).
   */
  private static ObjectRecord successor(@Nullable ObjectRecord current, ObjectRecord latest) {
    List<ObjectRecord> older = new ArrayList<>();
    if (current != null) {
      for (ObjectRecord v : current.versions()) {
        if (latest.versionId() != null || v.versionId() != null) {
          older.add(v);
        }
      }
    }
    return latest.withHistory(older);
  }

  /** The data files a record refers to. */
  private static java.util.Set<String> dataNames(ObjectRecord record) {
    java.util.Set<String> names = new java.util.HashSet<>();
    for (ObjectRecord v : record.versions()) {
      if (!v.data().isEmpty()) {
        names.add(v.data());
      }
    }
    return names;
  }

  /** A version id: time-ordered hex, then random, unique across processes. */
  private static String newVersionId() {
    return String.format("%013x", System.currentTimeMillis())
        + UUID.randomUUID().toString().replace("-", "").substring(0, 19);
  }

  /**
   * {@code made} with the bucket's default retention if its write named no retention of its own (in
   * a bucket with Object Lock and a default rule).
   */
  private static ObjectRecord withDefaultLock(
      @Nullable LockConfiguration configuration, ObjectRecord made) {
    ObjectLock asked = ObjectLock.of(made.metadata());
    if (configuration == null || configuration.mode() == null || asked.mode() != null) {
      return made;
    }
    ObjectLock given =
        configuration
            .defaultFor(Instant.ofEpochMilli(made.lastModified()))
            .withLegalHold(asked.legalHold());
    return made.withMetadata(ObjectLock.into(made.metadata(), given));
  }

  private static @Nullable ObjectRecord live(@Nullable ObjectRecord record) {
    return record == null ? null : record.live();
  }

  @Override
  public Listing list(String bucket, ListRequest request) {
    Path bucketDir = bucketDir(bucket);
    try {
      return new DirectoryWalk(request).run(bucketDir);
    } catch (IOException e) {
      throw unavailable("listing " + bucket, e);
    }
  }

  // ---- multipart (see DirectoryUploads)

  @Override
  public String createUpload(String bucket, String key, ObjectMetadata metadata) {
    return uploads.create(bucketDir(bucket), key, metadata);
  }

  @Override
  public PartInfo uploadPart(
      String bucket, String key, String uploadId, int partNumber, Payload payload) {
    return uploads.uploadPart(bucketDir(bucket), key, uploadId, partNumber, payload);
  }

  @Override
  public ObjectInfo completeUpload(
      String bucket,
      String key,
      String uploadId,
      List<CompletedPart> parts,
      WriteCondition condition,
      @Nullable Checksum checksum) {
    return uploads.complete(bucketDir(bucket), key, uploadId, parts, condition, checksum);
  }

  @Override
  public List<PartInfo> objectParts(String bucket, String key, String etag) {
    ObjectRecord record;
    try {
      record = ObjectRecord.read(KeyPaths.objectDir(bucketDir(bucket), key));
    } catch (IOException e) {
      throw unavailable("reading " + bucket + "/" + key, e);
    }
    if (record == null) {
      return List.of();
    }
    for (ObjectRecord v : record.versions()) {
      if (!v.deleteMarker() && v.etag().equals(etag)) {
        List<PartInfo> parts = new ArrayList<>(v.parts().size());
        for (int i = 0; i < v.parts().size(); i++) {
          List<String> sums = v.partSums();
          String sum = sums.size() == v.parts().size() ? sums.get(i) : null;
          parts.add(
              new PartInfo(
                  i + 1,
                  "",
                  v.parts().get(i),
                  Instant.ofEpochMilli(v.lastModified()),
                  sum == null ? null : dev.leasehold.object.Checksum.decode(sum)));
        }
        return parts;
      }
    }
    return List.of();
  }

  @Override
  public void abortUpload(String bucket, String key, String uploadId) {
    uploads.abort(bucketDir(bucket), key, uploadId);
  }

  @Override
  public PartListing listParts(
      String bucket, String key, String uploadId, int marker, int maxParts) {
    return uploads.listParts(bucketDir(bucket), key, uploadId, marker, maxParts);
  }

  @Override
  public UploadListing listUploads(String bucket, UploadListRequest request) {
    return uploads.list(bucketDir(bucket), request);
  }

  /** Whether this origin gave up its share of the lock files (once: they are shared). */
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return; // a second close must not take another origin's share of the shared lock files
    }
    try {
      locks.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- shared with DirectoryUploads

  /** Writes the bytes of a new version into a temporary file. */
  @FunctionalInterface
  interface DataWriter {
    void write(Path tmp) throws IOException;
  }

  /** Makes the record of a new version once its data file has its final name. */
  @FunctionalInterface
  interface RecordMaker {
    ObjectRecord make(String dataName, long now) throws IOException;
  }

  /**
   * Writes a new version of {@code key}: data into a temporary file in the object's directory
   * (fsynced, outside the lock), then under the commit lock: check {@code condition}, rename the
   * data into place, replace the side file, and delete the replaced version's data.
   */
  ObjectInfo writeObject(
      Path bucketDir, String key, DataWriter data, RecordMaker records, WriteCondition condition) {
    String bucket = bucketDir.getFileName().toString();
    for (int attempt = 0; ; attempt++) {
      Path tmp = null;
      try {
        Path dir = KeyPaths.createObjectDir(bucketDir, key);
        String id = UUID.randomUUID().toString();
        tmp = dir.resolve(".tmp-" + id);
        data.write(tmp);
        JsonNode bucketRecord = bucketJson(bucketDir); // read once: its versioning and lock
        String versioning = versioningOf(bucketRecord);
        try (ProcessLocks.Held held = locks.lock(bucket + '/' + key)) {
          ObjectRecord current = ObjectRecord.read(dir);
          check(condition, live(current), key);
          String dataName = ".data-" + id;
          Files.move(tmp, dir.resolve(dataName), StandardCopyOption.ATOMIC_MOVE);
          ObjectRecord made =
              withDefaultLock(
                  objectLockOf(bucketRecord), records.make(dataName, Instant.now().toEpochMilli()));
          ObjectRecord record =
              successor(
                  current, made.withVersionId(ENABLED.equals(versioning) ? newVersionId() : null));
          record.write(dir);
          DurableFiles.fsync(dir);
          deleteDataFiles(dir, dataNames(record));
          return record.info();
        }
      } catch (NoSuchFileException raced) {
        // A delete pruned the (then empty) directory while we wrote into it: start again.
        if (attempt >= MAX_ATTEMPTS) {
          throw S3Error.SLOW_DOWN.exception("The key is being written and deleted too often.");
        }
      } catch (FileSystemException e) {
        if (isNotDirectory(e)) {
          throw S3Error.INVALID_ARGUMENT.exception("The key cannot be stored: " + e.getReason());
        }
        throw unavailable("writing " + bucket + "/" + key, e);
      } catch (IOException e) {
        throw unavailable("writing " + bucket + "/" + key, e);
      } finally {
        if (tmp != null) {
          try {
            Files.deleteIfExists(tmp);
          } catch (IOException ignored) {
            // left for the next start-up sweep; it is not referenced by any record
          }
        }
      }
    }
  }

  private static void check(WriteCondition condition, @Nullable ObjectRecord current, String key) {
    if (condition.ifAbsent() && current != null) {
      throw S3Error.PRECONDITION_FAILED.exception().with("Condition", "If-None-Match");
    }
    String ifMatch = condition.ifMatch();
    if (ifMatch != null) {
      if (current == null) {
        throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
      }
      if (!ifMatch.equals(current.etag())) {
        throw S3Error.PRECONDITION_FAILED.exception().with("Condition", "If-Match");
      }
    }
  }

  ObjectRecord current(String bucket, String key) {
    Path bucketDir = bucketDir(bucket);
    try {
      ObjectRecord record = live(ObjectRecord.read(KeyPaths.objectDir(bucketDir, key)));
      if (record == null) {
        throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
      }
      return record;
    } catch (IOException e) {
      throw unavailable("reading " + bucket + "/" + key, e);
    }
  }

  Path bucketDir(String bucket) {
    if (bucket.isEmpty() || bucket.startsWith(".") || bucket.contains("/")) {
      throw S3Error.INVALID_BUCKET_NAME.exception().with("BucketName", bucket);
    }
    Path dir = root.resolve(bucket);
    if (!Files.isDirectory(dir)) {
      throw S3Error.NO_SUCH_BUCKET.exception().with("BucketName", bucket);
    }
    return dir;
  }

  ProcessLocks locks() {
    return locks;
  }

  /**
   * The origin's directory failed: 503, saying what failed and why but naming no file (the
   * directory's layout is the operator's business, not the client's); the cause, with its paths,
   * goes to the log.
   */
  static S3Exception unavailable(String what, IOException e) {
    String why =
        e instanceof FileSystemException f && f.getReason() != null
            ? f.getReason()
            : e instanceof FileSystemException ? e.getClass().getSimpleName() : "an I/O error";
    return S3Error.SERVICE_UNAVAILABLE
        .exception("The origin failed " + what + ": " + why + ".")
        .causedBy(e);
  }

  private static void deleteDataFiles(Path dir, java.util.Set<String> keep) throws IOException {
    try (DirectoryStream<Path> data = Files.newDirectoryStream(dir, ".data-*")) {
      for (Path file : data) {
        if (!keep.contains(file.getFileName().toString())) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** Removes now-empty directories from {@code dir} up to (not including) the bucket. */
  private static void pruneEmpty(Path bucketDir, Path dir) throws IOException {
    for (Path d = dir; d != null && !d.equals(bucketDir); d = d.getParent()) {
      if (KeyPaths.isLong(d.getFileName().toString())) {
        return; // keeps its .segment, so listings can always name it
      }
      try {
        Files.delete(d);
      } catch (DirectoryNotEmptyException | NoSuchFileException stop) {
        return;
      }
    }
  }

  private static boolean isNotDirectory(FileSystemException e) {
    return e instanceof java.nio.file.NotDirectoryException
        || (e.getReason() != null && e.getReason().contains("Not a directory"));
  }

  /** The bucket's own record ({@code .leasehold/bucket.json}); empty if it has none. */
  /**
   * The bucket's own record ({@code .leasehold/bucket.json}); empty only if it has none. Any other
   * failure to read it is 503: taken for "never versioned", it would let a delete remove every
   * version of a key, and a rewrite drop the bucket's Object Lock.
   */
  private static JsonNode bucketJson(Path bucketDir) {
    Path file = bucketDir.resolve(INTERNAL).resolve(BUCKET_FILE);
    try {
      return ObjectRecord.JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException absent) {
      return ObjectRecord.JSON.createObjectNode();
    } catch (IOException e) {
      throw unavailable("reading bucket " + bucketDir.getFileName(), e);
    }
  }

  private static Instant creationDate(Path bucketDir) {
    JsonNode json = bucketJson(bucketDir);
    if (json.has("created")) {
      return Instant.ofEpochMilli(json.path("created").asLong());
    }
    try {
      return Files.readAttributes(bucketDir, BasicFileAttributes.class).creationTime().toInstant();
    } catch (IOException e) {
      return Instant.EPOCH;
    }
  }
}
