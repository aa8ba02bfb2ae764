package dev.leasehold.origin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The file operations the directory origin builds its crash safety from: copies that are fsynced
 * before they count, directory fsyncs after renames, and removal of whole trees. Stateless.
 */
final class DurableFiles {
  private DurableFiles() {}

  /** Writes a payload into a new file and fsyncs it; fails if the length is not the payload's. */
  static void copy(Payload payload, Path target) throws IOException {
    try (FileChannel out =
        FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      var file = payload.file();
      if (file.isPresent()) {
        try (FileChannel in = FileChannel.open(file.get(), StandardOpenOption.READ)) {
          transfer(in, out, payload.length());
        }
      } else {
        try (InputStream in = payload.open()) {
          in.transferTo(Channels.newOutputStream(out));
        }
      }
      if (out.size() != payload.length()) {
        throw new IOException("payload was " + out.size() + " bytes, expected " + payload.length());
      }
      out.force(true);
    }
  }

  static void transfer(FileChannel in, FileChannel out, long length) throws IOException {
    long done = 0;
    while (done < length) {
      long n = in.transferTo(done, length - done, out);
      if (n <= 0) {
        throw new IOException("source ended after " + done + " of " + length + " bytes");
      }
      done += n;
    }
  }

  /** Makes the entries of a directory (renames, creations) durable. */
  static void fsync(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  static byte[] md5(byte[]... parts) {
    try {
      MessageDigest md5 = MessageDigest.getInstance("MD5");
      for (byte[] p : parts) {
        md5.update(p);
      }
      return md5.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is part of every JDK", e);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
