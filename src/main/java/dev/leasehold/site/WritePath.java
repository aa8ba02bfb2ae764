package dev.leasehold.site;

import dev.leasehold.cache.ChunkCache;
import dev.leasehold.cache.ChunkKey;
import dev.leasehold.flush.Journal;
import dev.leasehold.object.Deletion;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectLock;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.Origin;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path, in three named steps (write-through; in a write-back bucket the second step
 * writes to the site's journal instead, see {@link WriteGuard}):
 *
 * <ol>
 *   <li><b>stage</b>: receive the body whole and verified into a staging file ({@link Staging}); a
 *       body that fails a check stops here, with nothing written anywhere;
 *   <li><b>store</b>: write it to the origin, atomically, under the request's condition;
 *   <li><b>remember</b>: keep the bytes in the cache under the version the origin assigned, so that
 *       the next read of them is a hit.
 * </ol>
 *
 * <p>Deletes take the same guard. Thread-safe.
 */
final class WritePath {
  private static final Logger LOG = LoggerFactory.getLogger(WritePath.class);

  private final Staging staging;
  private final Origin origin;
  private final ChunkCache cache;
  private final WriteGuard guard;
  private final Journal journal;

  WritePath(Staging staging, Origin origin, ChunkCache cache, WriteGuard guard, Journal journal) {
    this.staging = staging;
    this.origin = origin;
    this.cache = cache;
    this.guard = guard;
    this.journal = journal;
  }

  ObjectInfo put(PutRequest request, Upload body) {
    try (StagedFile staged = staging.receive(body)) {
      // The body has ended, so its checksum, if it carried one, is verified and kept with it.
      ObjectMetadata metadata = request.metadata().withChecksum(body.checksum().get());
      return store(request.bucket(), request.key(), staged, metadata, request.condition());
    }
  }

  ObjectInfo store(
      String bucket,
      String key,
      StagedFile staged,
      ObjectMetadata metadata,
      WriteCondition condition) {
    WriteGuard.Written written =
        guard.write(
            bucket,
            key,
            condition,
            fence -> origin.put(bucket, key, staged, metadata, fence),
            () -> {
              String md5 = HexFormat.of().formatHex(staged.md5());
              ObjectInfo info =
                  new ObjectInfo(
                      key,
                      staged.length(),
                      md5,
                      Instant.now().truncatedTo(ChronoUnit.MILLIS),
                      metadata,
                      0);
              return journal.put(bucket, key, info, md5, staged.path());
            });
    ObjectInfo stored = written.info();
    if (stored == null) {
      throw new IllegalStateException("a put stored nothing");
    }
    if (!written.journaled()) {
      remember(bucket, stored, staged); // (the journal took the staged file over)
    }
    return stored;
  }

  /**
   * Deletes the key's latest version: in a bucket that keeps versions the origin adds a delete
   * marker, which the answer names; a journaled delete (write-back) names none.
   */
  Deletion delete(String bucket, String key) {
    AtomicReference<Deletion> done = new AtomicReference<>(Deletion.UNVERSIONED);
    guard.write(
        bucket,
        key,
        WriteCondition.NONE,
        fence -> {
          done.set(origin.delete(bucket, key, fence.ifMatch()));
          return null;
        },
        () -> journal.delete(bucket, key));
    return done.get();
  }

  /**
   * Sets one entry of the key's user metadata (its ACL or tags), under WRITE like any change of the
   * key, so that every cached description of the version elsewhere is recalled first; the bytes
   * stay. {@code versionId}, if given, must name the latest version (checked under the grant).
   */
  ObjectInfo setMetadataEntry(
      String bucket, String key, @Nullable String versionId, String name, @Nullable String value) {
    WriteGuard.Written written =
        guard.write(
            bucket,
            key,
            WriteCondition.NONE,
            fence -> {
              String etag = fence.ifMatch();
              if (etag == null) {
                throw dev.leasehold.error.S3Error.NO_SUCH_KEY.exception().with("Key", key);
              }
              if (versionId != null) {
                // Checked under WRITE, so no other site can make another version the latest first.
                ObjectInfo latest = origin.headInBucket(bucket, key);
                String id =
                    latest == null || latest.versionId() == null ? "null" : latest.versionId();
                if (latest == null || !latest.etag().equals(etag) || !id.equals(versionId)) {
                  throw dev.leasehold.error.S3Error.NOT_IMPLEMENTED.exception(
                      "Only the ACL and tags of an object's latest version can be changed here.");
                }
              }
              return origin.updateMetadata(bucket, key, etag, name, value);
            });
    return java.util.Objects.requireNonNull(written.info(), "updated");
  }

  /**
   * Sets the Object Lock of a version, under WRITE like any change of the key: the latest version's
   * lock is part of what every site serves of it (its metadata), so readers elsewhere are recalled
   * first and the version as the origin now describes it is committed.
   */
  void setLock(
      String bucket,
      String key,
      @Nullable String versionId,
      java.util.function.UnaryOperator<ObjectLock> change,
      boolean bypassGovernance) {
    guard.write(
        bucket,
        key,
        WriteCondition.NONE,
        fence -> {
          origin.setLock(bucket, key, versionId, change, bypassGovernance);
          return origin.headInBucket(bucket, key);
        });
  }

  /**
   * Removes one version for good, under WRITE like any change of the key: if it was the latest, the
   * next newest becomes the latest, and every cached copy of the old one elsewhere must have been
   * recalled first (docs/protocol.md, Versions). The new latest version is what is committed.
   */
  Deletion deleteVersion(String bucket, String key, String versionId, boolean bypassGovernance) {
    AtomicReference<Deletion> done = new AtomicReference<>();
    guard.write(
        bucket,
        key,
        WriteCondition.NONE,
        fence -> {
          done.set(origin.deleteVersion(bucket, key, versionId, bypassGovernance));
          return origin.headInBucket(bucket, key);
        });
    return java.util.Objects.requireNonNull(done.get(), "deleted");
  }

  /**
   * Keeps a staged body in the cache; a failure here costs a later miss, nothing more. A body of
   * one chunk is moved into the cache, not copied: the staged file becomes the chunk (it is the
   * last use of it). A larger one is copied, chunk by chunk. An object larger than an eighth of the
   * cache is not kept: it would mostly displace what the cache holds, at the cost of a copy on the
   * write's own time.
   */
  private void remember(String bucket, ObjectInfo stored, StagedFile staged) {
    if (stored.size() > cache.budget() / 8) {
      return;
    }
    long chunkSize = cache.chunkSize();
    if (stored.size() > 0 && stored.size() <= chunkSize && staged.length() == stored.size()) {
      try {
        if (cache.adopt(
            new ChunkKey(bucket, stored.key(), stored.etag(), 0),
            staged.path(),
            stored.size(),
            staged.crc32c())) {
          return;
        }
      } catch (IOException e) {
        LOG.warn("could not cache the written bytes of {}/{}", bucket, stored.key(), e);
        return;
      }
    }
    try (FileChannel source = FileChannel.open(staged.path(), StandardOpenOption.READ)) {
      for (long offset = 0, index = 0; offset < stored.size(); offset += chunkSize, index++) {
        long length = Math.min(chunkSize, stored.size() - offset);
        cache.put(new ChunkKey(bucket, stored.key(), stored.etag(), index), source, offset, length);
      }
    } catch (IOException e) {
      LOG.warn("could not cache the written bytes of {}/{}", bucket, stored.key(), e);
    }
  }
}
