package dev.leasehold.origin;

import dev.leasehold.object.ObjectInfo;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;

/**
 * The start of a read of whatever version an origin holds now ({@link Origin#peek}): the version,
 * as the read's own headers describe it, and a stream of the bytes asked for. The caller owns the
 * stream and closes it.
 *
 * @param version the version the bytes belong to; null if the object does not exist
 * @param offset where {@code body} starts in the object
 * @param length how many bytes {@code body} holds: those asked for, fewer at the object's end
 */
public record Peek(@Nullable ObjectInfo version, long offset, long length, InputStream body) {

  /** The answer for an object that does not exist. */
  public static Peek absent(long offset) {
    return new Peek(null, offset, 0, InputStream.nullInputStream());
  }
}
