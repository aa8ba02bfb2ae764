package dev.leasehold.site;

/** A run of bytes of an object: {@code length} bytes from {@code offset}. Immutable. */
public record ByteSpan(long offset, long length) {
  public long end() {
    return offset + length;
  }
}
