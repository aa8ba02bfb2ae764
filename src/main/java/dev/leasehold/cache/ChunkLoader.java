package dev.leasehold.cache;

import java.io.IOException;
import java.io.OutputStream;

/** Writes the bytes of one chunk, from wherever they come (the origin, a peer). */
@FunctionalInterface
public interface ChunkLoader {
  /** Writes exactly the chunk's bytes to {@code out}; the cache checks the count. */
  void load(OutputStream out) throws IOException;
}
