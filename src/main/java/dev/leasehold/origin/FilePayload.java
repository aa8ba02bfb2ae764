package dev.leasehold.origin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A payload held in a file that holds exactly its bytes: a staged upload, or a journal entry being
 * flushed. Immutable (the file is its owner's to keep or delete); read from any thread.
 */
public class FilePayload implements Payload {
  private final Path path;
  private final long length;
  private final byte[] md5;

  public FilePayload(Path path, long length, byte[] md5) {
    this.path = path;
    this.length = length;
    this.md5 = md5.clone();
  }

  @Override
  public final long length() {
    return length;
  }

  @Override
  public final byte[] md5() {
    return md5.clone();
  }

  @Override
  public final InputStream open() throws IOException {
    return Files.newInputStream(path);
  }

  @Override
  public final Optional<Path> file() {
    return Optional.of(path);
  }

  /** The file. */
  public final Path path() {
    return path;
  }
}
