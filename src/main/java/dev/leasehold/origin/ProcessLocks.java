package dev.leasehold.origin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
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
  private final Path[] files = new Path[STRIPES];
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
      files[i] = dir.resolve(Integer.toString(i));
    }
  }

  /**
   * {@code a} and {@code b} in the order a thread that needs both stripes takes them (the lower
   * stripe first), so that two such threads, or processes, never each hold what the other waits
   * for.
   */
  java.util.List<String> inOrder(String a, String b) {
    return stripe(a) <= stripe(b) ? java.util.List.of(a, b) : java.util.List.of(b, a);
  }

  private static int stripe(String name) {
    return Math.floorMod(name.hashCode() * 0x9E3779B9, STRIPES);
  }

  /** Holds the stripe of {@code name} until the returned handle is closed. */
  Held lock(String name) {
    int stripe = stripe(name);
    ReentrantLock lock = locks[stripe];
    lock.lock();
    if (lock.getHoldCount() > 1) {
      return new Held(lock, null); // nested in a commit of the same stripe: the file lock is held
    }
    // A channel of its own for each hold: an interrupt during a file operation closes the channel
    // it used, and a channel shared by the JVM's origins would then fail every later commit.
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(files[stripe], StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      channel.lock(); // held until the channel closes
      return new Held(lock, channel);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      lock.unlock();
      if (e instanceof IOException io) {
        throw new UncheckedIOException(io);
      }
      throw (RuntimeException) e;
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
  }

  /** A held stripe; closing releases the file lock, then the thread lock. */
  static final class Held implements AutoCloseable {
    private final ReentrantLock lock;
    private final @Nullable FileChannel channel;

    private Held(ReentrantLock lock, @Nullable FileChannel channel) {
      this.lock = lock;
      this.channel = channel;
    }

    @Override
    public void close() {
      try {
        if (channel != null) {
          channel.close(); // releases the file lock with it
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        lock.unlock();
      }
    }
  }
}
