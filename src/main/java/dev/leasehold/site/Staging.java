package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Receives the bodies of writes into files under {@code <data>/staging/} before anything reaches
 * the origin, so that a body that is cut short or fails a check is never visible anywhere, and so
 * that the origin can be retried from a file. Staged files are transient: they are not fsynced (the
 * origin makes the write durable) and are removed at start-up.
 *
 * <p>Thread-safe: every call works on its own file.
 */
public final class Staging {
  private static final int BUFFER = 128 * 1024;

  private final Path dir;

  public Staging(Path dir) {
    try {
      this.dir = Files.createDirectories(dir);
      try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(this.dir)) {
        for (Path p : leftovers) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open staging directory " + dir, e);
    }
  }

  /** The staging directory (redirected reads spool their pieces here too). */
  Path dir() {
    return dir;
  }

  /** Stages an upload; {@code IncompleteBody} if it ends before its length (when it has one). */
  public StagedFile receive(Upload upload) {
    Path file = dir.resolve(UUID.randomUUID() + ".upload");
    try (FileChannel out =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      Sums sums = new Sums();
      byte[] buf = new byte[BUFFER];
      long total = 0;
      InputStream in = upload.stream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        total += n;
        if (upload.length() >= 0 && total > upload.length()) {
          throw S3Error.INVALID_REQUEST.exception("The body is longer than its declared length.");
        }
        sums.update(buf, n);
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
        while (b.hasRemaining()) {
          out.write(b);
        }
      }
      if (upload.length() >= 0 && total != upload.length()) {
        throw S3Error.INCOMPLETE_BODY.exception();
      }
      return sums.staged(file, total, upload.checksum().get());
    } catch (IOException e) {
      deleteQuietly(file);
      throw S3Error.INCOMPLETE_BODY.exception().causedBy(e);
    } catch (RuntimeException e) {
      deleteQuietly(file);
      throw e;
    }
  }

  /** Stages the bytes of a read (the source of a copy). */
  public StagedFile receive(ObjectRead read) {
    Path file = dir.resolve(UUID.randomUUID() + ".copy");
    try (FileChannel out =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      Sums sums = new Sums();
      ByteBuffer buf = ByteBuffer.allocate(BUFFER);
      long[] total = {0};
      read.transferTo((source, position, count) -> {
        try (FileChannel in = source) {
          long pos = position;
          long end = position + count;
          while (pos < end) {
            buf.clear().limit((int) Math.min(BUFFER, end - pos));
            int n = in.read(buf, pos);
            if (n < 0) {
              throw new IOException("chunk ended early");
            }
            buf.flip();
            sums.update(buf.array(), n);
            while (buf.hasRemaining()) {
              out.write(buf);
            }
            pos += n;
          }
          total[0] += count;
        }
      });
      return sums.staged(file, total[0], null);
    } catch (IOException e) {
      deleteQuietly(file);
      throw S3Error.INTERNAL_ERROR.exception("Could not stage the copy source.").causedBy(e);
    } catch (RuntimeException e) {
      deleteQuietly(file);
      throw e;
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // removed at the next start-up
    }
  }

  /**
   * What a staged body is summed by, as its bytes are received: its MD5 (its ETag, and the origin's
   * check) and its CRC32C (its checksum as a cached chunk). Confined to the receiving thread.
   */
  private static final class Sums {
    private final MessageDigest md5;
    private final CRC32C crc = new CRC32C();

    Sums() {
      try {
        md5 = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("MD5 is part of every JDK", e);
      }
    }

    /** The next {@code n} bytes of the body, from the start of {@code bytes}. */
    void update(byte[] bytes, int n) {
      md5.update(bytes, 0, n);
      crc.update(bytes, 0, n);
    }

    StagedFile staged(
        Path file,
        long length,
        dev.leasehold.object.@org.jspecify.annotations.Nullable Checksum checksum) {
      return new StagedFile(file, length, md5.digest(), (int) crc.getValue(), checksum);
    }
  }
}
