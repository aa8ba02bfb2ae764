package dev.leasehold.origin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Mutual exclusion for commits to one directory origin, between threads of this process and between
 * processes sharing the directory (several sites of a demo): a fixed set of stripes, each a {@link
 * ReentrantLock} (taken first, since a JVM holds a file lock for all its threads) and an OS file
 * lock on {@code <root>/.leasehold/locks/<stripe>}.
 *
 * <p>A JVM holds a file lock for all its threads and refuses a second lock of the same file, so
 * every origin over one directory in this JVM shares one instance ({@link #open}).
 *
 * <p>Thread-safe. A thread may nest locks (a multipart commit holds its upload's stripe while it
 * commits the object); a nested hold of a stripe it already has takes no second file lock. Lock
 * files are never deleted, so two holders can never lock different inodes.
 */
final class ProcessLocks implements AutoCloseable {
  private static final int STRIPES = 64;

  private static final java.util.Map<Path, ProcessLocks> OPEN = new java.util.HashMap<>();

  private final Path root;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
  private final FileChannel[] files = new FileChannel[STRIPES];
  private int users;

  /** The locks of the directory {@code root} (a real path), shared by its origins in this JVM. */
  static ProcessLocks open(Path root) throws IOException {
    synchronized (OPEN) {
      ProcessLocks locks = OPEN.get(root);
      if (locks == null) {
        locks = new ProcessLocks(root);
        OPEN.put(root, locks);
      }
      locks.users++;
      return locks;
    }
  }

  private ProcessLocks(Path root) throws IOException {
    this.root = root;
    Path dir = root.resolve(".leasehold").resolve("locks");
    Files.createDirectories(dir);
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
      files[i] =
          FileChannel.open(
              dir.resolve(Integer.toString(i)),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE);
    }
  }

  /** Holds the stripe of {@code name} until the returned handle is closed. */
  Held lock(String name) {
    int stripe = Math.floorMod(name.hashCode() * 0x9E3779B9, STRIPES);
    ReentrantLock lock = locks[stripe];
    lock.lock();
    if (lock.getHoldCount() > 1) {
      return new Held(lock, null); // nested in a commit of the same stripe: the file lock is held
    }
    try {
      return new Held(lock, files[stripe].lock());
    } catch (IOException e) {
      lock.unlock();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      lock.unlock();
      throw e;
    }
  }

  /** Gives up this user's share; the last one closes the lock files. */
  @Override
  public void close() throws IOException {
    synchronized (OPEN) {
      if (--users > 0) {
        return;
      }
      OPEN.remove(root);
    }
    for (FileChannel f : files) {
      f.close();
    }
  }

  /** A held stripe; closing releases the file lock, then the thread lock. */
  static final class Held implements AutoCloseable {
    private final ReentrantLock lock;
    private final @Nullable FileLock fileLock;

    private Held(ReentrantLock lock, @Nullable FileLock fileLock) {
      this.lock = lock;
      this.fileLock = fileLock;
    }

    @Override
    public void close() {
      try {
        if (fileLock != null) {
          fileLock.release();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        lock.unlock();
      }
    }
  }
}
