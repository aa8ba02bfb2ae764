package dev.leasehold.cache;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunk files of a cache directory (format in {@link ChunkFile}): {@code <dir>/<xx>/<name>} for
 * whole chunks, where {@code xx} fans the files out over 256 directories, and {@code <dir>/tmp/}
 * for chunks being written. Names are a hash of the chunk key plus a sequence number, so a chunk
 * loaded again after eviction never shares a name with a file being deleted.
 *
 * <p>Thread-safe; holds no state but the directory and a name sequence.
 */
final class ChunkStore {
  private static final Logger LOG = LoggerFactory.getLogger(ChunkStore.class);

  private final Path dir;
  private final Path tmp;
  private final long chunkSize;
  private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis());

  ChunkStore(Path dir, long chunkSize) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.tmp = dir.resolve("tmp");
    this.chunkSize = chunkSize;
    Files.createDirectories(tmp);
  }

  /**
   * Writes a chunk: whatever {@code loader} writes, then the footer; renamed (see ChunkFile). Its
   * bytes are readable as they land: {@code growing} names the file and counts them.
   */
  ChunkFile write(ChunkKey key, long expectedLength, ChunkLoader loader, GrowingChunk growing)
      throws IOException {
    Path part = tmp.resolve(UUID.randomUUID() + ".part");
    try {
      CRC32C crc = new CRC32C();
      long written;
      try (FileChannel ch =
          FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        growing.writing(part);
        CountingOutputStream out =
            new CountingOutputStream(Channels.newOutputStream(ch), crc, growing);
        loader.load(out);
        out.flush();
        written = out.count();
        if (written != expectedLength) {
          throw new IOException(
              "chunk " + key + " loaded " + written + " bytes, expected " + expectedLength);
        }
        appendFooter(ch, key, written, (int) crc.getValue());
      }
      return commit(key, part, written, (int) crc.getValue());
    } finally {
      Files.deleteIfExists(part);
    }
  }

  /** Writes a chunk from a range of a file already on this disk (a staged upload). */
  ChunkFile copy(ChunkKey key, FileChannel source, long offset, long length) throws IOException {
    Path part = tmp.resolve(UUID.randomUUID() + ".part");
    try {
      int crc;
      try (FileChannel ch =
          FileChannel.open(
              part,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE,
              StandardOpenOption.READ)) {
        long done = 0;
        while (done < length) {
          long n = source.transferTo(offset + done, length - done, ch);
          if (n <= 0) {
            throw new IOException("source ended at " + done + " of " + length);
          }
          done += n;
        }
        crc = ChunkFile.crc32c(ch, length);
        ch.position(length);
        appendFooter(ch, key, length, crc);
      }
      return commit(key, part, length, crc);
    } finally {
      Files.deleteIfExists(part);
    }
  }

  /**
   * Makes {@code file}, which holds exactly the {@code length} bytes of chunk {@code key} with
   * checksum {@code crc}, that chunk: its footer is appended and the file moved into place, its
   * bytes neither read nor copied. Null if it cannot be moved here (another file system); the file
   * then still holds the bytes at the start, and the caller copies them.
   */
  @Nullable ChunkFile adopt(ChunkKey key, Path file, long length, int crc) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      if (ch.size() != length) {
        throw new IOException("a file of " + ch.size() + " bytes is not a chunk of " + length);
      }
      ch.position(length);
      appendFooter(ch, key, length, crc);
    }
    try {
      return commit(key, file, length, crc);
    } catch (AtomicMoveNotSupportedException e) {
      return null;
    }
  }

  private void appendFooter(FileChannel ch, ChunkKey key, long length, int dataCrc)
      throws IOException {
    byte[] keyBlock = ChunkFile.keyBlock(key, chunkSize);
    CRC32C kc = new CRC32C();
    kc.update(keyBlock);
    writeFully(ch, ByteBuffer.wrap(keyBlock));
    writeFully(ch, ChunkFile.trailer(length, keyBlock.length, dataCrc, (int) kc.getValue()));
  }

  private ChunkFile commit(ChunkKey key, Path part, long length, int crc) throws IOException {
    String name = hash(key) + "-" + Long.toHexString(sequence.incrementAndGet());
    Path fan = Files.createDirectories(dir.resolve(name.substring(0, 2)));
    Path target = fan.resolve(name);
    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
    return new ChunkFile(key, chunkSize, target, length, crc, true);
  }

  /**
   * Every whole chunk on disk written with this chunk size. Removes temporary files, files that are
   * not whole chunks, and chunks of another chunk size.
   */
  List<ChunkFile> scan() throws IOException {
    List<ChunkFile> found = new ArrayList<>();
    try (DirectoryStream<Path> parts = Files.newDirectoryStream(tmp)) {
      for (Path p : parts) {
        Files.deleteIfExists(p);
      }
    }
    try (DirectoryStream<Path> fans = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path fan : fans) {
        if (fan.equals(tmp)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(fan)) {
          for (Path file : files) {
            ChunkFile chunk = ChunkFile.readFooter(file);
            if (chunk == null || chunk.chunkSize() != chunkSize) {
              LOG.warn(
                  "dropping {}: {}",
                  file,
                  chunk == null ? "not a whole chunk" : "other chunk size");
              Files.deleteIfExists(file);
            } else {
              found.add(chunk);
            }
          }
        }
      }
    }
    return found;
  }

  void delete(ChunkFile chunk) {
    try {
      Files.deleteIfExists(chunk.path());
    } catch (IOException e) {
      LOG.warn("could not delete evicted chunk {}", chunk.path(), e);
    }
  }

  private static String hash(ChunkKey key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String part : new String[] {key.bucket(), key.key(), key.etag()}) {
        sha.update(part.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      }
      sha.update(Long.toString(key.index()).getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(sha.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** Counts and checksums what a loader writes. Confined to the loading thread. */
  private static final class CountingOutputStream extends OutputStream {
    private final OutputStream out;
    private final CRC32C crc;
    private final GrowingChunk growing;
    private long count;

    CountingOutputStream(OutputStream out, CRC32C crc, GrowingChunk growing) {
      this.out = out;
      this.crc = crc;
      this.growing = growing;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      crc.update(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      crc.update(b, off, len);
      count += len;
      growing.advanced(count); // in the file: a reader may send them
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    long count() {
      return count;
    }
  }
}
