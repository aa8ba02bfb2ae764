package dev.leasehold.origin;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * The side file ({@code .object}) that makes a directory-origin object exist. JSON:
 *
 * <pre>{@code
 * {"key": "photos/cat.jpg", "etag": "9e107d9d372bb6826bd81d3542a419d6", "size": 43,
 *  "lastModified": 1764000000000, "data": ".data-5f0c...", "metadata": {...}, "parts": [43]}
 * }</pre>
 *
 * <p>{@code data} names the file beside it that holds the bytes; data files are written once and
 * never changed, so a reader that has opened one reads one version whole even while a writer
 * replaces it. {@code parts} lists part sizes for multipart objects and is empty otherwise. The
 * side file is replaced by an atomic rename of a complete, fsynced temporary file, so it is always
 * either the old record or the new one.
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
    List<Long> parts) {

  static final String FILE = ".object";
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  ObjectRecord {
    parts = List.copyOf(parts);
  }

  ObjectInfo info() {
    return new ObjectInfo(
        key, size, etag, Instant.ofEpochMilli(lastModified), metadata, parts.size());
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
