package dev.leasehold.flush;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.FilePayload;
import dev.leasehold.origin.Origin;
import dev.leasehold.origin.Payload;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Puts one journal entry at the origin, fenced (docs/protocol.md, Writes: a flush never overwrites
 * a newer version): the put or delete holds only if the origin still has the version the entry
 * replaced ({@code If-Match} its ETag, or {@code If-None-Match: *} if there was none). Where the
 * origin ignores the condition, the session deadline is the fence (docs/consistency.md).
 *
 * <p>A fence that fails because the origin already holds the entry's own version (an earlier flush
 * that reached the origin but not the coordinator, before a crash) counts as done. Any other
 * failure is thrown, for the caller to retry. Stateless and thread-safe.
 */
public final class Uploader {
  private final Origin origin;

  public Uploader(Origin origin) {
    this.origin = origin;
  }

  /**
   * Puts {@code e} at the origin under {@code fence} (null: none known; the origin's current
   * version is taken as the one replaced). Returns what the origin holds now (null: nothing).
   */
  public @Nullable ObjectInfo upload(
      JournalEntry e, @Nullable WriteCondition fence, BooleanSupplier stillOwned) {
    WriteCondition condition = fence == null ? current(e) : fence;
    if (!stillOwned.getAsBoolean()) {
      throw S3Error.SERVICE_UNAVAILABLE.exception(
          "The flush of " + e.bucket() + "/" + e.key() + " stopped: the site no longer owns it.");
    }
    try {
      if (e.isDelete()) {
        if (condition.ifAbsent()) {
          return null; // nothing to delete
        }
        origin.delete(e.bucket(), e.key(), condition.ifMatch());
        return null;
      }
      ObjectInfo info = e.info();
      Path data = e.data();
      if (info == null || data == null) {
        throw new IllegalStateException("a put entry without a body");
      }
      return origin.put(
          e.bucket(), e.key(), payload(data, info.size(), e.md5()), info.metadata(), condition);
    } catch (S3Exception x) {
      if (x.error() == S3Error.PRECONDITION_FAILED || x.error() == S3Error.NO_SUCH_KEY) {
        ObjectInfo there = headOrNull(e);
        if (e.isDelete()
            ? there == null
            : there != null && e.info() != null && there.etag().equals(e.info().etag())) {
          return there; // already there: an earlier flush of this entry
        }
      }
      throw x;
    }
  }

  /** The fence for an entry whose replaced version is not known: the origin's current one. */
  private WriteCondition current(JournalEntry e) {
    return WriteCondition.heldAt(headOrNull(e));
  }

  private @Nullable ObjectInfo headOrNull(JournalEntry e) {
    try {
      return origin.head(e.bucket(), e.key());
    } catch (S3Exception x) {
      if (x.error() == S3Error.NO_SUCH_KEY) {
        return null;
      }
      throw x;
    }
  }

  private static Payload payload(Path data, long length, String md5Hex) {
    return new FilePayload(data, length, HexFormat.of().parseHex(md5Hex));
  }
}
