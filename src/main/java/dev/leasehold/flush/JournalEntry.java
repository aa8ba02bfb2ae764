package dev.leasehold.flush;

import dev.leasehold.object.ObjectInfo;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * One acknowledged write in the journal: a put (its bytes in {@code data}) or a delete. Immutable.
 *
 * @param seq the entry's number at this site, increasing, never reused
 * @param bucket the bucket
 * @param key the key
 * @param info the version written (null for a delete)
 * @param md5 the body's MD5, in hex (empty for a delete)
 * @param data the file holding the body (null for a delete)
 */
public record JournalEntry(
    long seq,
    String bucket,
    String key,
    @Nullable ObjectInfo info,
    String md5,
    @Nullable Path data) {

  public boolean isDelete() {
    return info == null;
  }

  /** The bytes of the entry's body (0 for a delete). */
  public long size() {
    return info == null ? 0 : info.size();
  }
}
