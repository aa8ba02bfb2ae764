package dev.leasehold.site;

import dev.leasehold.origin.Payload;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The bytes of a write, received whole and verified, in a file under the site's staging directory,
 * ready to be sent to the origin (as often as it retries) and copied into the cache.
 *
 * <p>Owned by the request that staged it, which closes it (deleting the file) when the write is
 * done; origins may read it from other threads meanwhile.
 */
public final class StagedFile implements Payload, AutoCloseable {
  private final Path path;
  private final long length;
  private final byte[] md5;

  StagedFile(Path path, long length, byte[] md5) {
    this.path = path;
    this.length = length;
    this.md5 = md5.clone();
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public byte[] md5() {
    return md5.clone();
  }

  @Override
  public InputStream open() throws IOException {
    return Files.newInputStream(path);
  }

  @Override
  public Optional<Path> file() {
    return Optional.of(path);
  }

  Path path() {
    return path;
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
