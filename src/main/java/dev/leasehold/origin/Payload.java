package dev.leasehold.origin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The bytes of an upload, already received and verified, that an origin can read as often as it
 * needs to (an origin may retry). Implementations are immutable and safe to read from several
 * threads, each with its own stream.
 */
public interface Payload {
  /** The number of bytes. */
  long length();

  /** The MD5 digest of the bytes (16 bytes). */
  byte[] md5();

  /** A fresh stream over the bytes, from the first. */
  InputStream open() throws IOException;

  /** The file holding exactly these bytes, where there is one, for a zero-copy transfer. */
  Optional<Path> file();

  /**
   * The {@code x-amz-checksum-*} its writer sent and the bytes were verified against, if any: an
   * origin keeps a part's with the part (the parts' checksums make the whole object's).
   */
  default dev.leasehold.object.@org.jspecify.annotations.Nullable Checksum checksum() {
    return null;
  }
}
