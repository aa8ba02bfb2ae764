package dev.leasehold.s3;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream defined by its block read: the single-byte read goes through it, so each stream
 * of the body pipeline has one read path to get right.
 */
abstract class BlockInputStream extends InputStream {
  @Override
  public final int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public abstract int read(byte[] buf, int off, int len) throws IOException;
}
