package dev.leasehold.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The prefixes whose chunks the cache never evicts, kept in a file beside the chunks ({@code pins}:
 * one {@code bucket prefix} per line, URL-encoded) so that they survive a restart.
 *
 * <p>Thread-safe: the list is an immutable value in a volatile field; changes are serialized on
 * this object and written atomically (temporary file, rename).
 */
final class Pins {
  /** One pinned prefix of a bucket. */
  record Pin(String bucket, String prefix) {
    boolean covers(ChunkKey key) {
      return key.bucket().equals(bucket) && key.key().startsWith(prefix);
    }
  }

  private final Path file;
  private volatile List<Pin> pins;

  Pins(Path dir) {
    this.file = dir.resolve("pins");
    this.pins = read(file);
  }

  boolean covers(ChunkKey key) {
    for (Pin p : pins) {
      if (p.covers(key)) {
        return true;
      }
    }
    return false;
  }

  List<Pin> all() {
    return pins;
  }

  synchronized void add(Pin pin) {
    if (!pins.contains(pin)) {
      List<Pin> next = new ArrayList<>(pins);
      next.add(pin);
      write(List.copyOf(next));
    }
  }

  /** Whether the pin was there. */
  synchronized boolean remove(Pin pin) {
    if (!pins.contains(pin)) {
      return false;
    }
    List<Pin> next = new ArrayList<>(pins);
    next.remove(pin);
    write(List.copyOf(next));
    return true;
  }

  private void write(List<Pin> next) {
    StringBuilder text = new StringBuilder();
    for (Pin p : next) {
      text.append(encode(p.bucket())).append(' ').append(encode(p.prefix())).append('\n');
    }
    try {
      Path tmp = file.resolveSibling("pins.tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store the cache's pins in " + file, e);
    }
    pins = next;
  }

  private static List<Pin> read(Path file) {
    try {
      List<Pin> pins = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        int space = line.indexOf(' ');
        if (space > 0) {
          pins.add(new Pin(decode(line.substring(0, space)), decode(line.substring(space + 1))));
        }
      }
      return List.copyOf(pins);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cache's pins in " + file, e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
