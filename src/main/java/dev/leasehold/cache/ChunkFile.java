package dev.leasehold.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;

/**
 * A chunk on disk. The file holds the chunk's bytes first, so they can be sent with {@code
 * sendfile} from offset 0, followed by a footer that says what they are:
 *
 * <pre>
 *   data        length bytes
 *   key block   u16 n, bucket (n bytes UTF-8); u16 n, key; u16 n, etag; i64 index; i64 chunkSize
 *   trailer     i64 length, i32 keyBlockLength, i32 crc32c(data), i32 crc32c(key block),
 *               i32 format (1), i64 magic "LHCHUNK\0"          (32 bytes, big-endian)
 * </pre>
 *
 * <p>A file is whole only if it ends with a trailer whose lengths add up to the file's size and
 * whose key-block checksum holds; the data checksum is verified the first time a chunk found on
 * disk at start-up is served. Files are written under a temporary name and renamed, so a process
 * killed mid-write leaves a temporary file (removed at start-up). They are not fsynced: a cache
 * holds copies, and a file a power loss leaves torn or stale (whatever the file system kept) fails
 * these checks (dropped, never served), so the checksums, not an fsync per chunk on the read path,
 * are what keep a chunk honest.
 *
 * <p>Thread-safe: the fields are final but {@code verified}, which only goes from false to true.
 */
public final class ChunkFile {
  static final int TRAILER = 32;
  static final long MAGIC = 0x4C48_4348_554E_4B00L; // "LHCHUNK\0"
  static final int FORMAT = 1;

  private final ChunkKey key;
  private final long chunkSize;
  private final Path path;
  private final long length;
  private final int crc;
  private volatile boolean verified;

  ChunkFile(ChunkKey key, long chunkSize, Path path, long length, int crc, boolean verified) {
    this.key = key;
    this.chunkSize = chunkSize;
    this.path = path;
    this.length = length;
    this.crc = crc;
    this.verified = verified;
  }

  public ChunkKey key() {
    return key;
  }

  /** The file; its first {@link #length()} bytes are the chunk. */
  public Path path() {
    return path;
  }

  /** The number of bytes in the chunk. */
  public long length() {
    return length;
  }

  /**
   * Whether {@link #open} reads the file as it is, without checking its bytes first (a chunk found
   * on disk at start-up is checked on its first read).
   */
  public boolean verified() {
    return verified;
  }

  long chunkSize() {
    return chunkSize;
  }

  /**
   * Opens the file for reading the chunk's bytes, first checking them against their checksum if
   * this chunk was found on disk at start-up and has not been checked yet.
   *
   * @throws java.nio.file.NoSuchFileException if the chunk was evicted meanwhile
   * @throws CorruptChunkException if the bytes do not match their checksum
   */
  public FileChannel open() throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
    if (!verified) {
      try {
        if (crc32c(ch, length) != crc) {
          throw new CorruptChunkException(path + " does not match its checksum");
        }
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      verified = true;
    }
    return ch;
  }

  static int crc32c(FileChannel ch, long length) throws IOException {
    CRC32C crc = new CRC32C();
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    long pos = 0;
    while (pos < length) {
      buf.clear().limit((int) Math.min(buf.capacity(), length - pos));
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new CorruptChunkException("chunk ended at " + pos + " of " + length);
      }
      buf.flip();
      crc.update(buf);
      pos += n;
    }
    return (int) crc.getValue();
  }

  static byte[] keyBlock(ChunkKey key, long chunkSize) {
    byte[] bucket = key.bucket().getBytes(StandardCharsets.UTF_8);
    byte[] name = key.key().getBytes(StandardCharsets.UTF_8);
    byte[] etag = key.etag().getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(6 + bucket.length + name.length + etag.length + 16);
    b.putShort((short) bucket.length).put(bucket);
    b.putShort((short) name.length).put(name);
    b.putShort((short) etag.length).put(etag);
    b.putLong(key.index()).putLong(chunkSize);
    return b.array();
  }

  static ByteBuffer trailer(long length, int keyBlockLength, int dataCrc, int keyBlockCrc) {
    ByteBuffer t = ByteBuffer.allocate(TRAILER);
    t.putLong(length).putInt(keyBlockLength).putInt(dataCrc).putInt(keyBlockCrc);
    t.putInt(FORMAT).putLong(MAGIC);
    return t.flip();
  }

  /** Reads the footer of a file found on disk; null if the file is not a whole chunk. */
  static @Nullable ChunkFile readFooter(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < TRAILER) {
        return null;
      }
      ByteBuffer t = ByteBuffer.allocate(TRAILER);
      readFully(ch, t, size - TRAILER);
      t.flip();
      long length = t.getLong();
      int keyBlockLength = t.getInt();
      int dataCrc = t.getInt();
      int keyBlockCrc = t.getInt();
      int format = t.getInt();
      long magic = t.getLong();
      if (magic != MAGIC
          || format != FORMAT
          || length < 0
          || keyBlockLength < 22
          || length + keyBlockLength + TRAILER != size) {
        return null;
      }
      ByteBuffer kb = ByteBuffer.allocate(keyBlockLength);
      readFully(ch, kb, length);
      CRC32C crc = new CRC32C();
      crc.update(kb.array());
      if ((int) crc.getValue() != keyBlockCrc) {
        return null;
      }
      kb.flip();
      String bucket = string(kb);
      String key = string(kb);
      String etag = string(kb);
      long index = kb.getLong();
      long chunkSize = kb.getLong();
      return new ChunkFile(
          new ChunkKey(bucket, key, etag, index), chunkSize, path, length, dataCrc, false);
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException malformed) {
      return null;
    }
  }

  private static String string(ByteBuffer b) {
    byte[] bytes = new byte[Short.toUnsignedInt(b.getShort())];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    long pos = position;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new CorruptChunkException("unexpected end of chunk file");
      }
      pos += n;
    }
  }

  @Override
  public String toString() {
    return "ChunkFile[" + key + ", " + length + " bytes at " + path + "]";
  }
}
