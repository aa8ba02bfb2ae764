package dev.leasehold.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A chunk file kept open for reads ({@link OpenChunks}), lent to one read: the channel stays open
 * while any read holds it, and closes when the last one gives it back after the pool let it go. A
 * read uses positional reads and transfers only ({@code read(buffer, position)}, {@code
 * transferTo}, {@code sendfile}), which leave the shared channel's position alone, and never closes
 * the channel itself: it {@link #release releases} it, once.
 *
 * <p>Thread-safe: the count of holders is atomic; the channel is safe for positional reads from
 * many threads.
 */
public final class HeldFile {
  private final FileChannel channel;
  private final AtomicInteger holders;

  /** An open channel, held by its pool and by the read it is first lent to. */
  HeldFile(FileChannel channel) {
    this.channel = channel;
    this.holders = new AtomicInteger(1);
  }

  private HeldFile(FileChannel channel, AtomicInteger holders) {
    this.channel = channel;
    this.holders = holders;
  }

  /** The channel: read by position only, never closed by the holder. */
  public FileChannel channel() {
    return channel;
  }

  /** A further holder of the same channel, or null if it closed meanwhile (its pool let it go). */
  @Nullable HeldFile lend() {
    while (true) {
      int n = holders.get();
      if (n == 0) {
        return null;
      }
      if (holders.compareAndSet(n, n + 1)) {
        return new HeldFile(channel, holders);
      }
    }
  }

  /**
   * The channel as one of the holder's own, for code that closes what it is given: reads go to the
   * shared channel (by position: the view keeps its own), writes are refused, and closing the view
   * {@link #release releases} the hold.
   */
  public FileChannel asChannel() {
    return new View(this);
  }

  /** Gives the channel back; the last holder's release closes it. */
  public void release() {
    if (holders.decrementAndGet() == 0) {
      try {
        channel.close();
      } catch (IOException e) {
        // a read-only channel: nothing was written that a failed close could lose
      }
    }
  }

  /** A holder's own view of the shared channel ({@link #asChannel}). Confined to its holder. */
  private static final class View extends FileChannel {
    private final HeldFile held;
    private final FileChannel shared;
    private long position;

    View(HeldFile held) {
      this.held = held;
      this.shared = held.channel;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      int n = shared.read(dst, position);
      if (n > 0) {
        position += n;
      }
      return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      long total = 0;
      for (int i = offset; i < offset + length; i++) {
        int n = read(dsts[i]);
        if (n < 0) {
          return total == 0 ? -1 : total;
        }
        total += n;
        if (dsts[i].hasRemaining()) {
          break;
        }
      }
      return total;
    }

    @Override
    public int read(ByteBuffer dst, long at) throws IOException {
      return shared.read(dst, at);
    }

    @Override
    public long transferTo(long at, long count, WritableByteChannel target) throws IOException {
      return shared.transferTo(at, count, target);
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public FileChannel position(long newPosition) {
      position = newPosition;
      return this;
    }

    @Override
    public long size() throws IOException {
      return shared.size();
    }

    @Override
    public int write(ByteBuffer src) {
      throw new NonWritableChannelException();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
      throw new NonWritableChannelException();
    }

    @Override
    public int write(ByteBuffer src, long at) {
      throw new NonWritableChannelException();
    }

    @Override
    public FileChannel truncate(long size) {
      throw new NonWritableChannelException();
    }

    @Override
    public void force(boolean metaData) {}

    @Override
    public long transferFrom(ReadableByteChannel src, long at, long count) {
      throw new NonWritableChannelException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long at, long size) throws IOException {
      return shared.map(mode, at, size);
    }

    @Override
    public FileLock lock(long at, long size, boolean isShared) {
      throw new UnsupportedOperationException("a shared chunk file is not locked");
    }

    @Override
    public FileLock tryLock(long at, long size, boolean isShared) {
      throw new UnsupportedOperationException("a shared chunk file is not locked");
    }

    @Override
    protected void implCloseChannel() {
      held.release();
    }
  }
}
