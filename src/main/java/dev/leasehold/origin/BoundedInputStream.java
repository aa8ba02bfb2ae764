package dev.leasehold.origin;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Exactly {@code length} bytes of an underlying stream: ends after them, and fails if the
 * underlying stream ends first. Confined to one reader thread.
 */
final class BoundedInputStream extends FilterInputStream {
  private long remaining;

  BoundedInputStream(InputStream in, long length) {
    super(in);
    this.remaining = length;
  }

  @Override
  public int read() throws IOException {
    if (remaining <= 0) {
      return -1;
    }
    int b = super.read();
    if (b < 0) {
      throw new EOFException("stream ended " + remaining + " bytes early");
    }
    remaining--;
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    if (remaining <= 0) {
      return -1;
    }
    int n = super.read(buf, off, (int) Math.min(len, remaining));
    if (n < 0) {
      throw new EOFException("stream ended " + remaining + " bytes early");
    }
    remaining -= n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(Math.min(n, remaining));
    remaining -= skipped;
    return skipped;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(super.available(), remaining);
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
