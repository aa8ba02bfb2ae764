package dev.leasehold.origin;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leasehold.object.Checksum;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The side file ({@code .object}) that makes a directory-origin key exist: its latest version, and
 * the older versions a bucket that keeps versions holds. JSON:
 *
 * <pre>{@code
 * {"key": "photos/cat.jpg", "etag": "9e107d9d372bb6826bd81d3542a419d6", "size": 43,
 *  "lastModified": 1764000000000, "data": ".data-5f0c...", "metadata": {...}, "parts": [43],
 *  "versionId": "0193a6...", "deleteMarker": false, "history": [{...}, ...]}
 * }</pre>
 *
 * <p>{@code data} names the file beside it that holds the bytes; data files are written once and
 * never changed, so a reader that has opened one reads one version whole even while a writer
 * replaces it. {@code parts} lists part sizes for multipart objects and is empty otherwise. The
 * side file is replaced by an atomic rename of a complete, fsynced temporary file, so it is always
 * either the old record or the new one: one rename changes the latest version and the history
 * together.
 *
 * <p>{@code versionId} is absent for the version S3 calls {@code null} (every version of a bucket
 * that never kept versions). A latest version that is a {@code deleteMarker} (no bytes, an empty
 * {@code data}) keeps the key's record in place while its object reads as absent. {@code history}
 * holds the older versions, newest first, each a record of the same form with no history of its
 * own; records written before versions existed have neither field and read as unversioned. {@code
 * partChecksums} lists a multipart version's parts' checksums, in part order, if its parts had them
 * (empty otherwise).
 *
 * <p>Immutable.
 */
record ObjectRecord(
    String key,
    String etag,
    long size,
    long lastModified,
    String data,
    ObjectMetadata metadata,
    List<Long> parts,
    @Nullable String versionId,
    boolean deleteMarker,
    @Nullable List<ObjectRecord> history,
    @Nullable List<String> partChecksums) {

  static final String FILE = ".object";
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  ObjectRecord {
    parts = List.copyOf(parts);
    history = history == null ? List.of() : List.copyOf(history);
    partChecksums = partChecksums == null ? List.of() : List.copyOf(partChecksums);
  }

  /** A new version with no version id (yet) and no history. */
  static ObjectRecord version(
      String key,
      String etag,
      long size,
      long lastModified,
      String data,
      ObjectMetadata metadata,
      List<Long> parts) {
    return new ObjectRecord(
        key, etag, size, lastModified, data, metadata, parts, null, false, List.of(), List.of());
  }

  /** A delete marker of {@code key}, as the latest version, with no history yet. */
  static ObjectRecord marker(String key, @Nullable String versionId, long now) {
    return new ObjectRecord(
        key,
        "",
        0,
        now,
        "",
        ObjectMetadata.EMPTY,
        List.of(),
        versionId,
        true,
        List.of(),
        List.of());
  }

  ObjectInfo info() {
    return new ObjectInfo(
        key, size, etag, Instant.ofEpochMilli(lastModified), metadata, parts.size(), versionId);
  }

  /** The parts' checksums, in part order, or none (never null once read). */
  List<String> partSums() {
    return partChecksums == null ? List.of() : partChecksums;
  }

  /** The older versions, newest first (never null once read). */
  List<ObjectRecord> older() {
    return history == null ? List.of() : history;
  }

  /** The latest version if it is an object (not a delete marker), else null. */
  @Nullable ObjectRecord live() {
    return deleteMarker ? null : this;
  }

  /** Every version of the key, newest first, each without history. */
  List<ObjectRecord> versions() {
    List<ObjectRecord> all = new java.util.ArrayList<>(older().size() + 1);
    all.add(withHistory(List.of()));
    all.addAll(older());
    return all;
  }

  /** The version S3 names {@code versionId} ({@code null}, the word, for the unversioned one). */
  boolean named(String versionId) {
    return versionId.equals(this.versionId == null ? "null" : this.versionId);
  }

  ObjectRecord withVersionId(@Nullable String id) {
    return new ObjectRecord(
        key,
        etag,
        size,
        lastModified,
        data,
        metadata,
        parts,
        id,
        deleteMarker,
        history,
        partChecksums);
  }

  ObjectRecord withMetadata(ObjectMetadata changed) {
    return new ObjectRecord(
        key,
        etag,
        size,
        lastModified,
        data,
        changed,
        parts,
        versionId,
        deleteMarker,
        history,
        partChecksums);
  }

  /** The same version keeping its parts' checksums ({@link Checksum#encoded}, in part order). */
  ObjectRecord withPartChecksums(List<String> checksums) {
    return new ObjectRecord(
        key,
        etag,
        size,
        lastModified,
        data,
        metadata,
        parts,
        versionId,
        deleteMarker,
        history,
        checksums);
  }

  ObjectRecord withHistory(List<ObjectRecord> older) {
    return new ObjectRecord(
        key,
        etag,
        size,
        lastModified,
        data,
        metadata,
        parts,
        versionId,
        deleteMarker,
        older,
        partChecksums);
  }

  /** The key's versions as one record: the first is the latest; null if there are none. */
  static @Nullable ObjectRecord of(List<ObjectRecord> versions) {
    return versions.isEmpty()
        ? null
        : versions.get(0).withHistory(versions.subList(1, versions.size()));
  }

  /** The record in {@code dir}, or null if no object lives there. */
  static @Nullable ObjectRecord read(Path dir) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(dir.resolve(FILE));
    } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException absent) {
      return null;
    }
    return JSON.readValue(bytes, ObjectRecord.class);
  }

  /** Replaces the record in {@code dir} atomically and durably. */
  void write(Path dir) throws IOException {
    Path tmp = dir.resolve(".tmp-object-" + UUID.randomUUID());
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(this)));
        ch.force(true);
      }
      Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
