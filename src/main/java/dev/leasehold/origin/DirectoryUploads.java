package dev.leasehold.origin;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.Checksum;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartListing;
import dev.leasehold.object.UploadInfo;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.object.WriteCondition;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Multipart uploads of the directory origin. An upload lives in {@code
 * <bucket>/.leasehold/uploads/<uploadId>/}: {@code upload.json} names its key, metadata and start
 * time; each part is a data file {@code part-<n>-<id>} and a record {@code part-<n>.json} (replaced
 * atomically, so a re-uploaded part wins whole). Completing concatenates the named parts into a new
 * object version through {@link DirectoryOrigin#writeObject}, then replaces the upload with {@code
 * completed.json} (its key, the parts named and the ETag made) for {@link #COMPLETED_KEPT}: a
 * client that completes it again (its first answer was lost) is answered as the first was, as S3
 * does, for as long as the object is still that version. Starting an upload removes older such
 * records.
 *
 * <p>Thread-safe; commits to one upload take its {@link ProcessLocks} stripe.
 */
final class DirectoryUploads {
  /** S3's minimum size of every part but the last. */
  static final long MIN_PART_SIZE = 5L * 1024 * 1024;

  private static final Pattern UPLOAD_ID = Pattern.compile("[A-Za-z0-9_-]{16,64}");
  private static final SecureRandom RANDOM = new SecureRandom();

  record Upload(String key, long initiated, ObjectMetadata metadata) {}

  /** What a completion made: for answering a repeated completion alike. */
  record Completed(
      String key, List<String> parts, String etag, @Nullable String versionId, long completed) {}

  /** How long a completed upload is remembered for a repeated completion. */
  static final java.time.Duration COMPLETED_KEPT = java.time.Duration.ofHours(1);

  /**
   * A stored part; {@code checksum} is the {@code x-amz-checksum-*} it was verified against, as
   * {@link Checksum#encoded}, or null (absent in records written before parts kept one).
   */
  record Part(
      int partNumber,
      String etag,
      long size,
      long lastModified,
      String data,
      @Nullable String checksum) {
    PartInfo info() {
      return new PartInfo(
          partNumber,
          etag,
          size,
          Instant.ofEpochMilli(lastModified),
          checksum == null ? null : Checksum.decode(checksum));
    }
  }

  private final DirectoryOrigin origin;

  DirectoryUploads(DirectoryOrigin origin) {
    this.origin = origin;
  }

  String create(Path bucketDir, String key, ObjectMetadata metadata) {
    byte[] id = new byte[24];
    RANDOM.nextBytes(id);
    String uploadId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    Path uploads = uploadsDir(bucketDir);
    Path dir = uploads.resolve(uploadId);
    try {
      Files.createDirectories(dir);
      writeJson(dir, "upload.json", new Upload(key, Instant.now().toEpochMilli(), metadata));
      DurableFiles.fsync(uploads);
    } catch (IOException e) {
      throw DirectoryOrigin.unavailable("starting an upload", e);
    }
    forgetCompleted(uploads);
    return uploadId;
  }

  PartInfo uploadPart(
      Path bucketDir, String key, String uploadId, int partNumber, Payload payload) {
    Path dir = uploadDir(bucketDir, uploadId);
    String id = UUID.randomUUID().toString();
    Path tmp = dir.resolve(".tmp-" + id);
    try {
      DurableFiles.copy(payload, tmp);
      try (ProcessLocks.Held held = origin.locks().lock(uploadId)) {
        upload(dir, key); // still there: not aborted or completed meanwhile
        String dataName = "part-" + partNumber + "-" + id;
        Files.move(tmp, dir.resolve(dataName), StandardCopyOption.ATOMIC_MOVE);
        Part previous = readPart(dir, partNumber);
        Part part =
            new Part(
                partNumber,
                HexFormat.of().formatHex(payload.md5()),
                payload.length(),
                Instant.now().toEpochMilli(),
                dataName,
                payload.checksum() == null ? null : payload.checksum().encoded());
        writeJson(dir, "part-" + partNumber + ".json", part);
        DurableFiles.fsync(dir);
        if (previous != null) {
          Files.deleteIfExists(dir.resolve(previous.data()));
        }
        return part.info();
      }
    } catch (NoSuchFileException aborted) {
      throw noSuchUpload(uploadId);
    } catch (IOException e) {
      throw DirectoryOrigin.unavailable("storing a part", e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // unreferenced; removed with the upload
      }
    }
  }

  ObjectInfo complete(
      Path bucketDir,
      String key,
      String uploadId,
      List<CompletedPart> named,
      WriteCondition condition,
      @Nullable Checksum checksum) {
    Path dir = uploadDir(bucketDir, uploadId);
    // The upload's stripe and then (in writeObject) the key's: both taken here, in stripe order.
    List<String> order =
        origin.locks().inOrder(uploadId, bucketDir.getFileName().toString() + '/' + key);
    try (ProcessLocks.Held first = origin.locks().lock(order.get(0));
        ProcessLocks.Held second = origin.locks().lock(order.get(1))) {
      Upload upload;
      try {
        upload = upload(dir, key);
      } catch (NoSuchFileException notOpen) {
        ObjectInfo again = completedAlready(bucketDir, dir, key, named);
        if (again != null) {
          return again;
        }
        throw notOpen;
      }
      Map<Integer, Part> stored = new HashMap<>();
      for (Part p : readParts(dir)) {
        stored.put(p.partNumber(), p);
      }
      List<Part> parts = new ArrayList<>();
      int previous = 0;
      for (CompletedPart c : named) {
        if (c.partNumber() <= previous) {
          throw S3Error.INVALID_PART_ORDER.exception();
        }
        previous = c.partNumber();
        Part p = stored.get(c.partNumber());
        Checksum asked = c.checksum();
        if (p == null
            || !p.etag().equals(c.etag())
            || (asked != null && !asked.encoded().equals(p.checksum()))) {
          throw S3Error.INVALID_PART
              .exception()
              .with("UploadId", uploadId)
              .with("PartNumber", Integer.toString(c.partNumber()))
              .with("ETag", c.etag());
        }
        parts.add(p);
      }
      for (int i = 0; i < parts.size() - 1; i++) {
        if (parts.get(i).size() < MIN_PART_SIZE) {
          throw S3Error.ENTITY_TOO_SMALL
              .exception()
              .with("ProposedSize", Long.toString(parts.get(i).size()))
              .with("MinSizeAllowed", Long.toString(MIN_PART_SIZE))
              .with("PartNumber", Integer.toString(parts.get(i).partNumber()))
              .with("ETag", parts.get(i).etag());
        }
      }
      byte[] md5s = new byte[16 * parts.size()];
      long size = 0;
      List<Long> sizes = new ArrayList<>();
      for (int i = 0; i < parts.size(); i++) {
        System.arraycopy(HexFormat.of().parseHex(parts.get(i).etag()), 0, md5s, 16 * i, 16);
        size += parts.get(i).size();
        sizes.add(parts.get(i).size());
      }
      String etag = HexFormat.of().formatHex(DurableFiles.md5(md5s)) + "-" + parts.size();
      long total = size;
      List<String> partChecksums = new ArrayList<>();
      for (Part p : parts) {
        if (p.checksum() != null) {
          partChecksums.add(p.checksum());
        }
      }
      if (partChecksums.size() != parts.size()) {
        partChecksums.clear(); // kept only for every part or none
      }
      ObjectInfo info =
          origin.writeObject(
              bucketDir,
              key,
              tmp -> concatenate(dir, parts, tmp),
              (dataName, now) ->
                  ObjectRecord.version(
                          key,
                          etag,
                          total,
                          now,
                          dataName,
                          upload.metadata().withChecksum(checksum),
                          sizes)
                      .withPartChecksums(partChecksums),
              condition);
      DurableFiles.deleteTree(dir);
      try {
        Files.createDirectories(dir);
        writeJson(
            dir,
            COMPLETED,
            new Completed(
                key,
                partNames(named),
                info.etag(),
                info.versionId(),
                Instant.now().toEpochMilli()));
      } catch (IOException e) {
        // The object is complete; only a repeated completion will not be recognised.
      }
      return info;
    } catch (NoSuchFileException aborted) {
      throw noSuchUpload(uploadId);
    } catch (IOException e) {
      throw DirectoryOrigin.unavailable("completing an upload", e);
    }
  }

  private static final String COMPLETED = "completed.json";

  private static List<String> partNames(List<CompletedPart> named) {
    List<String> names = new ArrayList<>(named.size());
    for (CompletedPart c : named) {
      names.add(c.partNumber() + ":" + c.etag());
    }
    return names;
  }

  /**
   * The version a repeated completion of the same parts of the same key made, if that completion is
   * remembered and the key is still at that version; else null.
   */
  private @Nullable ObjectInfo completedAlready(
      Path bucketDir, Path dir, String key, List<CompletedPart> named) throws IOException {
    Completed done;
    try {
      done = readJson(dir.resolve(COMPLETED), Completed.class);
    } catch (NoSuchFileException | java.nio.file.NotDirectoryException none) {
      return null;
    }
    if (!done.key().equals(key)
        || !done.parts().equals(partNames(named))
        || done.completed() < Instant.now().minus(COMPLETED_KEPT).toEpochMilli()) {
      return null;
    }
    ObjectRecord current;
    try {
      current = origin.current(bucketDir.getFileName().toString(), key);
    } catch (dev.leasehold.error.S3Exception gone) {
      return null;
    }
    return current.etag().equals(done.etag())
            && java.util.Objects.equals(current.versionId(), done.versionId())
        ? current.info()
        : null;
  }

  /** Removes the records of completions older than {@link #COMPLETED_KEPT}; best effort. */
  private static void forgetCompleted(Path uploads) {
    long before = Instant.now().minus(COMPLETED_KEPT).toEpochMilli();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(uploads)) {
      for (Path dir : dirs) {
        try {
          if (readJson(dir.resolve(COMPLETED), Completed.class).completed() < before) {
            DurableFiles.deleteTree(dir);
          }
        } catch (IOException notCompletedOrGone) {
          // an open upload, or one removed meanwhile
        }
      }
    } catch (IOException e) {
      // tried again at the next upload's start
    }
  }

  void abort(Path bucketDir, String key, String uploadId) {
    Path dir = uploadDir(bucketDir, uploadId);
    try (ProcessLocks.Held held = origin.locks().lock(uploadId)) {
      upload(dir, key);
      DurableFiles.deleteTree(dir);
    } catch (NoSuchFileException aborted) {
      throw noSuchUpload(uploadId);
    } catch (IOException e) {
      throw DirectoryOrigin.unavailable("aborting an upload", e);
    }
  }

  PartListing listParts(Path bucketDir, String key, String uploadId, int marker, int maxParts) {
    Path dir = uploadDir(bucketDir, uploadId);
    try {
      upload(dir, key);
      List<PartInfo> page = new ArrayList<>();
      boolean truncated = false;
      for (Part p : readParts(dir)) {
        if (p.partNumber() <= marker) {
          continue;
        }
        if (page.size() >= maxParts) {
          truncated = true;
          break;
        }
        page.add(p.info());
      }
      return new PartListing(page, truncated);
    } catch (NoSuchFileException aborted) {
      throw noSuchUpload(uploadId);
    } catch (IOException e) {
      throw DirectoryOrigin.unavailable("listing parts", e);
    }
  }

  UploadListing list(Path bucketDir, UploadListRequest request) {
    record Entry(UploadInfo info, long initiated) {}
    List<Entry> all = new ArrayList<>();
    Path uploads = uploadsDir(bucketDir);
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(uploads)) {
      for (Path dir : dirs) {
        try {
          Upload u = readJson(dir.resolve("upload.json"), Upload.class);
          if (u.key().startsWith(request.prefix())) {
            String id = dir.getFileName().toString();
            all.add(
                new Entry(
                    new UploadInfo(u.key(), id, Instant.ofEpochMilli(u.initiated())),
                    u.initiated()));
          }
        } catch (NoSuchFileException gone) {
          // completed or aborted while we listed
        }
      }
    } catch (NoSuchFileException none) {
      return new UploadListing(List.of(), List.of(), false);
    } catch (IOException e) {
      throw DirectoryOrigin.unavailable("listing uploads", e);
    }
    all.sort(
        Comparator.comparing((Entry e) -> e.info().key(), KeyOrder.UTF8)
            .thenComparingLong(Entry::initiated)
            .thenComparing(e -> e.info().uploadId()));
    List<UploadInfo> page = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    String delimiter =
        request.delimiter() == null || request.delimiter().isEmpty() ? null : request.delimiter();
    String keyMarker = request.keyMarker();
    boolean pastMarker = keyMarker == null || keyMarker.isEmpty();
    boolean truncated = false;
    String lastPrefix = null;
    for (Entry e : all) {
      String key = e.info().key();
      if (!pastMarker) {
        int c = KeyOrder.compare(key, keyMarker == null ? "" : keyMarker);
        if (c < 0) {
          continue;
        }
        if (c == 0) {
          String idMarker = request.uploadIdMarker();
          if (idMarker == null || idMarker.isEmpty()) {
            continue;
          }
          if (!e.info().uploadId().equals(idMarker)) {
            continue;
          }
          pastMarker = true;
          continue;
        }
        pastMarker = true;
      }
      if (delimiter != null) {
        int at = key.indexOf(delimiter, request.prefix().length());
        if (at >= 0) {
          String common = key.substring(0, at + delimiter.length());
          if (common.equals(lastPrefix)) {
            continue;
          }
          lastPrefix = common;
          if (page.size() + prefixes.size() >= request.maxUploads()) {
            truncated = true;
            break;
          }
          prefixes.add(common);
          continue;
        }
      }
      if (page.size() + prefixes.size() >= request.maxUploads()) {
        truncated = true;
        break;
      }
      page.add(e.info());
    }
    return new UploadListing(page, prefixes, truncated);
  }

  private static void concatenate(Path dir, List<Part> parts, Path target) throws IOException {
    try (FileChannel out =
        FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (Part p : parts) {
        try (FileChannel in = FileChannel.open(dir.resolve(p.data()), StandardOpenOption.READ)) {
          DurableFiles.transfer(in, out, p.size());
        }
      }
      out.force(true);
    }
  }

  private Path uploadDir(Path bucketDir, String uploadId) {
    if (!UPLOAD_ID.matcher(uploadId).matches()) {
      throw noSuchUpload(uploadId);
    }
    return uploadsDir(bucketDir).resolve(uploadId);
  }

  private static Path uploadsDir(Path bucketDir) {
    return bucketDir.resolve(DirectoryOrigin.INTERNAL).resolve("uploads");
  }

  /** The upload in {@code dir}, which must be of {@code key}; NoSuchFileException if gone. */
  private static Upload upload(Path dir, String key) throws IOException {
    Upload upload = readJson(dir.resolve("upload.json"), Upload.class);
    if (!upload.key().equals(key)) {
      throw new NoSuchFileException(dir.toString(), null, "upload is of another key");
    }
    return upload;
  }

  private static @Nullable Part readPart(Path dir, int partNumber) throws IOException {
    try {
      return readJson(dir.resolve("part-" + partNumber + ".json"), Part.class);
    } catch (NoSuchFileException absent) {
      return null;
    }
  }

  private static List<Part> readParts(Path dir) throws IOException {
    List<Part> parts = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "part-*.json")) {
      for (Path f : files) {
        parts.add(readJson(f, Part.class));
      }
    }
    parts.sort(Comparator.comparingInt(Part::partNumber));
    return parts;
  }

  private static <T> T readJson(Path file, Class<T> type) throws IOException {
    return ObjectRecord.JSON.readValue(Files.readAllBytes(file), type);
  }

  private static void writeJson(Path dir, String name, Object value) throws IOException {
    Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(ObjectRecord.JSON.writeValueAsBytes(value)));
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }

  private static dev.leasehold.error.S3Exception noSuchUpload(String uploadId) {
    return S3Error.NO_SUCH_UPLOAD.exception().with("UploadId", uploadId);
  }
}
