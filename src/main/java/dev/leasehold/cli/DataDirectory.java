package dev.leasehold.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A data directory is its owner's alone (docs/security.md): the directory and every directory under
 * it 0700, every file 0600. {@link #restrict} makes it so at start, for files an earlier run or
 * another tool left wider; the launcher ({@code ./leasehold}) runs with umask 077, so what the
 * process creates afterwards is born that way. Stateless.
 */
final class DataDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(DataDirectory.class);
  private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private DataDirectory() {}

  /** Creates {@code dir} if missing and narrows it and everything under it to its owner. */
  static void restrict(Path dir) {
    int[] narrowed = new int[1];
    try {
      Files.createDirectories(dir);
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs)
                throws IOException {
              narrow(d, DIR, narrowed);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
              if (attrs.isRegularFile()) {
                narrow(f, FILE, narrowed);
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
              return FileVisitResult.CONTINUE; // removed meanwhile
            }
          });
    } catch (UnsupportedOperationException e) {
      LOG.warn("the data directory's file system has no POSIX permissions; not narrowed");
      return;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restrict the data directory " + dir, e);
    }
    if (narrowed[0] > 0) {
      LOG.info("narrowed {} entries of the data directory to its owner (0700/0600)", narrowed[0]);
    }
  }

  private static void narrow(Path p, Set<PosixFilePermission> mode, int[] narrowed)
      throws IOException {
    if (!Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(mode)) {
      Files.setPosixFilePermissions(p, mode);
      narrowed[0]++;
    }
  }
}
