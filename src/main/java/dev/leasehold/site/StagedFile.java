package dev.leasehold.site;

import dev.leasehold.origin.FilePayload;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bytes of a write, received whole and verified, in a file under the site's staging directory,
 * ready to be sent to the origin (as often as it retries) and then moved or copied into the cache.
 *
 * <p>Owned by the request that staged it, which closes it (deleting the file) when the write is
 * done; origins may read it from other threads meanwhile.
 */
public final class StagedFile extends FilePayload implements AutoCloseable {
  private final int crc32c;
  private final dev.leasehold.object.@org.jspecify.annotations.Nullable Checksum checksum;

  StagedFile(
      Path path,
      long length,
      byte[] md5,
      int crc32c,
      dev.leasehold.object.@org.jspecify.annotations.Nullable Checksum checksum) {
    super(path, length, md5);
    this.crc32c = crc32c;
    this.checksum = checksum;
  }

  @Override
  public dev.leasehold.object.@org.jspecify.annotations.Nullable Checksum checksum() {
    return checksum;
  }

  /** The CRC32C of the bytes, as a cached chunk of them records it. */
  int crc32c() {
    return crc32c;
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(path());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
