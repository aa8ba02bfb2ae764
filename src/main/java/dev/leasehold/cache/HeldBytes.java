package dev.leasehold.cache;

import io.netty.buffer.ByteBuf;

/**
 * Bytes of a chunk the memory tier holds ({@link MemoryTier}), lent to one read: a reference of its
 * own to memory the tier may drop meanwhile, which stays valid until it is given back. Whoever
 * holds it either hands its buffer to a write ({@link #take}, which releases it once written) or
 * gives it back ({@link #release}); exactly one of the two, once.
 *
 * <p>Confined to the thread of the read it was lent to.
 */
public final class HeldBytes {
  /** A view of the tier's buffer, sharing its reference count; narrowed by {@link #range}. */
  private ByteBuf bytes;

  HeldBytes(ByteBuf bytes) {
    this.bytes = bytes;
  }

  /**
   * Narrows what is lent to bytes {@code from}..{@code to} of the chunk: a slice, with no spare
   * room after it, so no writer downstream (a TLS handler merging buffers) can write into the bytes
   * every reader shares.
   */
  public HeldBytes range(long from, long to) {
    bytes = bytes.slice(bytes.readerIndex() + (int) from, (int) (to - from));
    return this;
  }

  /** How many bytes are lent. */
  public int length() {
    return bytes.readableBytes();
  }

  /** The bytes, as a buffer the caller now owns and releases (a Netty write releases it). */
  public ByteBuf take() {
    return bytes;
  }

  /** Gives the bytes back unsent. */
  public void release() {
    bytes.release();
  }
}
