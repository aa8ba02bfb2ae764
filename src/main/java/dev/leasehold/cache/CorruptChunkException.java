package dev.leasehold.cache;

import java.io.IOException;

/** A chunk file whose bytes are not what its footer says; it is dropped, never served. */
public final class CorruptChunkException extends IOException {
  private static final long serialVersionUID = 1L;

  public CorruptChunkException(String message) {
    super(message);
  }
}
