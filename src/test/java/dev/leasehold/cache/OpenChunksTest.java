package dev.leasehold.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenChunksTest {
  static final long CHUNK = 64 * 1024;

  @TempDir Path dir;
  final ExecutorService loaders = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() {
    loaders.shutdownNow();
  }

  private static String read(FileChannel ch, long position, int n) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining() && ch.read(b, position + b.position()) > 0) {
      // positional reads until full
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }

  @Test
  void aHotChunkIsOpenedOnceAndClosedWhenTheCacheDropsItAndItsLastReadEnds() throws Exception {
    ChunkCache cache = new ChunkCache(dir, 10 * CHUNK, CHUNK, 0, loaders);
    ChunkKey key = new ChunkKey("b", "k", "e", 0);
    byte[] content = "kept open across reads".getBytes(StandardCharsets.UTF_8);
    ChunkFile chunk = cache.get(key, content.length, out -> out.write(content)).get();

    HeldFile first = cache.openFile(chunk);
    HeldFile second = cache.openFile(chunk);
    assertThat(cache.filesOpened()).as("the second read found it open").isEqualTo(1);
    assertThat(second.channel()).isSameAs(first.channel());
    assertThat(read(first.channel(), 5, 4)).isEqualTo("open");
    first.release();
    second.release();
    assertThat(first.channel().isOpen()).as("kept open for the next read").isTrue();

    HeldFile reading = cache.openFile(chunk);
    assertThat(cache.filesOpened()).isEqualTo(1);
    cache.invalidate(key); // evicted, or dropped by an operator: its file is deleted
    assertThat(reading.channel().isOpen()).as("a read in progress keeps it").isTrue();
    assertThat(read(reading.channel(), 0, content.length))
        .as("and reads the chunk whole")
        .isEqualTo(new String(content, StandardCharsets.UTF_8));
    reading.release();
    assertThat(reading.channel().isOpen()).as("closed with the last read").isFalse();
  }

  @Test
  void aViewIsTheHoldersOwnToCloseAndReadOnly() throws Exception {
    ChunkCache cache = new ChunkCache(dir, 10 * CHUNK, CHUNK, 0, loaders);
    ChunkKey key = new ChunkKey("b", "k", "e", 0);
    byte[] content = "0123456789".getBytes(StandardCharsets.UTF_8);
    ChunkFile chunk = cache.get(key, content.length, out -> out.write(content)).get();

    HeldFile held = cache.openFile(chunk);
    FileChannel view = held.asChannel();
    ByteBuffer b = ByteBuffer.allocate(4);
    view.position(3);
    assertThat(view.read(b)).isEqualTo(4);
    assertThat(new String(b.array(), StandardCharsets.UTF_8)).isEqualTo("3456");
    assertThat(view.position()).isEqualTo(7);
    assertThat(held.channel().position()).as("the shared channel's position is untouched").isZero();
    assertThatThrownBy(() -> view.write(ByteBuffer.wrap(new byte[1])))
        .isInstanceOf(NonWritableChannelException.class);
    view.close();
    assertThat(held.channel().isOpen()).as("the pool still holds it").isTrue();

    cache.invalidate(key);
    assertThat(held.channel().isOpen()).as("no read holds it: closed").isFalse();
  }
}
