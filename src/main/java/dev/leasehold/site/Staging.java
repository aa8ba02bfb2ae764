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

  /** Stages an upload; {@code IncompleteBody} if it ends before its length. */
  public StagedFile receive(Upload upload) {
    Path file = dir.resolve(UUID.randomUUID() + ".upload");
    try (FileChannel out =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      MessageDigest md5 = md5();
      CRC32C crc = new CRC32C();
      byte[] buf = new byte[BUFFER];
      long total = 0;
      InputStream in = upload.stream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        total += n;
        if (total > upload.length()) {
          throw S3Error.INVALID_REQUEST.exception("The body is longer than its declared length.");
        }
        md5.update(buf, 0, n);
        crc.update(buf, 0, n);
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
        while (b.hasRemaining()) {
          out.write(b);
        }
      }
      if (total != upload.length()) {
        throw S3Error.INCOMPLETE_BODY.exception();
      }
      return new StagedFile(file, total, md5.digest(), (int) crc.getValue());
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
      MessageDigest md5 = md5();
      CRC32C crc = new CRC32C();
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
            md5.update(buf.array(), 0, n);
            crc.update(buf.array(), 0, n);
            while (buf.hasRemaining()) {
              out.write(buf);
            }
            pos += n;
          }
          total[0] += count;
        }
      });
      return new StagedFile(file, total[0], md5.digest(), (int) crc.getValue());
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

  private static MessageDigest md5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is part of every JDK", e);
    }
  }
}
