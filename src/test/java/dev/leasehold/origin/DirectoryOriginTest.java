package dev.leasehold.origin;

import static dev.leasehold.origin.OriginContractIT.assertCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartSpan;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.Payloads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only the directory origin has to get right: keys that a file system cannot name directly,
 * key order from directories, crash leftovers, and writers in two processes.
 */
class DirectoryOriginTest {
  @TempDir Path root;
  DirectoryOrigin origin;

  @BeforeEach
  void open() {
    origin = new DirectoryOrigin(root);
    origin.createBucket("b");
  }

  @AfterEach
  void close() {
    origin.close();
  }

  private void put(String key, String value) {
    origin.put("b", key, Payloads.of(value), ObjectMetadata.EMPTY, WriteCondition.NONE);
  }

  private String get(String key) throws IOException {
    ObjectInfo info = origin.head("b", key);
    try (InputStream in = origin.read("b", key, info.etag(), 0, info.size())) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** An origin failure tells the client what failed, never where the files are. */
  @Test
  void aFailureNamesNoFile() {
    var e =
        DirectoryOrigin.unavailable(
            "reading b/k",
            new java.nio.file.AccessDeniedException(
                "/srv/leasehold/origin/b/k/.leasehold-object", null, "Permission denied"));
    assertThat(e.error().code()).isEqualTo("ServiceUnavailable");
    assertThat(e.getMessage())
        .isEqualTo("The origin failed reading b/k: Permission denied.")
        .doesNotContain("/srv");
    assertThat(
            DirectoryOrigin.unavailable("listing b", new IOException("/srv/leasehold/x: broken"))
                .getMessage())
        .doesNotContain("/srv");
  }

  @Test
  void aThreadInterruptedWhileTakingACommitLockLeavesTheLocksWorking() throws Exception {
    // A stopping site interrupts its threads. An interrupt closes the file channel a thread was
    // using: that must not be a channel every origin over this directory in the JVM locks with.
    Path real = root.toRealPath();
    try (ProcessLocks locks = ProcessLocks.open(real)) {
      Thread t =
          new Thread(() -> {
            Thread.currentThread().interrupt();
            try (ProcessLocks.Held held = locks.lock("k")) {
              // taken before the interrupt was noticed: fine too
            } catch (RuntimeException expected) {
              // ClosedByInterruptException, wrapped
            }
          });
      t.start();
      t.join();
      for (String name : List.of("k", "other")) {
        try (ProcessLocks.Held held = locks.lock(name)) {
          assertThat(held).isNotNull();
        }
      }
    }
    put("after", "still writes");
    assertThat(get("after")).isEqualTo("still writes");
  }

  @Test
  void anotherOriginOverTheSameDirectoryClosedTwiceLeavesThisOneWriting() throws IOException {
    // Origins over one directory in a JVM share its lock files: a site that is stopped and whose
    // origin is closed twice must not close them under the sites still running.
    DirectoryOrigin other = new DirectoryOrigin(root);
    other.close();
    other.close();
    put("after", "still writes");
    assertThat(get("after")).isEqualTo("still writes");
  }

  @Test
  void keysThatAreAlsoDirectoriesOfOtherKeys() throws IOException {
    List<String> keys =
        List.of(
            "a",
            "a/b",
            "a/b/c",
            "dir/",
            "dir//double",
            "/leading",
            ".hidden",
            "a/.dot",
            "%41",
            "a b",
            "a/../b",
            "a/./b",
            "a/..");
    for (String k : keys) {
      put(k, "value of " + k);
    }
    for (String k : keys) {
      assertThat(get(k)).as(k).isEqualTo("value of " + k);
    }
    // In UTF-8 byte order: '%' 0x25 < '.' 0x2E < '/' 0x2F < 'a' 0x61 < 'd' 0x64; after "a",
    // ' ' 0x20 < '/'; after "a/.", '.' < '/' < 'd'.
    assertThat(origin.list("b", new ListRequest("", null, null, 1000)).objects())
        .extracting(ObjectInfo::key)
        .containsExactly(
            "%41",
            ".hidden",
            "/leading",
            "a",
            "a b",
            "a/..",
            "a/../b",
            "a/./b",
            "a/.dot",
            "a/b",
            "a/b/c",
            "dir/",
            "dir//double");
    origin.delete("b", "a/b", null);
    assertThat(get("a/b/c")).isEqualTo("value of a/b/c");
    assertCode(() -> origin.head("b", "a/b"), "NoSuchKey", 404);
  }

  @Test
  void listingFollowsUtf8ByteOrderNotJavaStringOrder() {
    // U+E000 sorts before U+1F600 in UTF-8, after it in UTF-16.
    List<String> keys = List.of("x\uE000", "x\uD83D\uDE00", "x!", "x/", "x/y", "x~");
    for (String k : keys) {
      put(k, k);
    }
    // UTF-8: '!' 0x21, '/' 0x2F, '~' 0x7E, U+E000 0xEE 0x80 0x80, U+1F600 0xF0 0x9F 0x98 0x80.
    assertThat(origin.list("b", new ListRequest("x", null, null, 1000)).objects())
        .extracting(ObjectInfo::key)
        .containsExactly("x!", "x/", "x/y", "x~", "x\uE000", "x\uD83D\uDE00");
    Listing rolled = origin.list("b", new ListRequest("x", "/", null, 1000));
    assertThat(rolled.commonPrefixes()).containsExactly("x/");
  }

  @Test
  void randomKeysListInOrderWithEveryPageSizeAndDelimiter() {
    Random random = new Random(42);
    List<String> keys = new ArrayList<>();
    String alphabet = "ab/!.~é\uE000";
    for (int i = 0; i < 60; i++) {
      StringBuilder k = new StringBuilder();
      int len = 1 + random.nextInt(6);
      for (int j = 0; j < len; j++) {
        k.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String key = k.toString();
      if (key.startsWith("/") || key.contains("/./") || key.contains("/../")) {
        continue;
      }
      if (!keys.contains(key)) {
        keys.add(key);
        put(key, key);
      }
    }
    keys.sort(Data.UTF8_BINARY_ORDER);
    for (String delimiter : new String[] {null, "/", "b"}) {
      List<String> expected = expectedListing(keys, "", delimiter);
      for (int max : new int[] {1, 2, 3, 7, 1000}) {
        List<String> seen = new ArrayList<>();
        String after = null;
        while (true) {
          Listing page = origin.list("b", new ListRequest("", delimiter, after, max));
          List<String> items = new ArrayList<>();
          page.objects().forEach(o -> items.add(o.key()));
          items.addAll(page.commonPrefixes());
          items.sort(Data.UTF8_BINARY_ORDER);
          seen.addAll(items);
          if (!page.truncated()) {
            break;
          }
          String last = items.get(items.size() - 1);
          after = page.commonPrefixes().contains(last) ? KeyOrder.pastPrefix(last) : last;
        }
        assertThat(seen)
            .as("delimiter %s, max %d", delimiter, max)
            .containsExactlyElementsOf(expected);
      }
    }
  }

  /** The reference listing: every key, rolled up at the delimiter, in order, once each. */
  private static List<String> expectedListing(
      List<String> sortedKeys, String prefix, String delimiter) {
    List<String> out = new ArrayList<>();
    for (String k : sortedKeys) {
      String item = k;
      if (delimiter != null) {
        int at = k.indexOf(delimiter, prefix.length());
        if (at >= 0) {
          item = k.substring(0, at + delimiter.length());
        }
      }
      if (out.isEmpty() || !out.get(out.size() - 1).equals(item)) {
        out.add(item);
      }
    }
    return out;
  }

  @Test
  void longSegmentsAreStoredAndListed() throws IOException {
    String longSegment = "\u00e9".repeat(300); // 600 bytes of UTF-8, 1,800 percent-encoded
    String key = "p/" + longSegment + "/leaf";
    put(key, "deep");
    put("p/" + longSegment, "self");
    assertThat(get(key)).isEqualTo("deep");
    assertThat(origin.list("b", new ListRequest("p/", null, null, 10)).objects())
        .extracting(ObjectInfo::key)
        .containsExactly("p/" + longSegment, key);
    assertThat(origin.list("b", new ListRequest("p/", "/", null, 10)).commonPrefixes())
        .containsExactly("p/" + longSegment + "/");
  }

  @Test
  void leftoversOfACrashAreNeverVisible() throws IOException {
    put("survivor", "whole");
    Path dir = KeyPaths.objectDir(root.resolve("b"), "survivor");
    Files.write(dir.resolve(".tmp-crashed"), new byte[] {1, 2, 3}); // a write killed mid-way
    Files.write(dir.resolve(".data-orphan"), new byte[] {4, 5}); // renamed, but never recorded
    Path ghost = Files.createDirectories(root.resolve("b").resolve("ghost"));
    Files.write(ghost.resolve(".tmp-x"), new byte[] {9}); // an object that never came to be
    assertThat(get("survivor")).isEqualTo("whole");
    assertThat(origin.list("b", new ListRequest("", null, null, 100)).objects())
        .extracting(ObjectInfo::key)
        .containsExactly("survivor");
    put("survivor", "again");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".data-")))
          .hasSize(1);
    }
  }

  @Test
  void partSpansOfAMultipartObject() {
    String id = origin.createUpload("b", "mp", ObjectMetadata.EMPTY);
    PartInfo p1 = origin.uploadPart("b", "mp", id, 1, Payloads.of(Data.bytes(5 * 1024 * 1024, 1)));
    PartInfo p2 = origin.uploadPart("b", "mp", id, 2, Payloads.of(Data.bytes(10, 2)));
    ObjectInfo done =
        origin.completeUpload(
            "b",
            "mp",
            id,
            List.of(new CompletedPart(1, p1.etag()), new CompletedPart(2, p2.etag())),
            WriteCondition.NONE);
    assertThat(origin.partSpan("b", "mp", done.etag(), 2))
        .isEqualTo(new PartSpan(5 * 1024 * 1024, 10, 2));
    assertCode(() -> origin.partSpan("b", "mp", done.etag(), 3), "InvalidPartNumber", 416);
    assertCode(() -> origin.partSpan("b", "mp", "stale", 1), "PreconditionFailed", 412);
    // After completion the upload is gone.
    assertCode(() -> origin.uploadPart("b", "mp", id, 3, Payloads.of("late")), "NoSuchUpload", 404);
    assertCode(() -> origin.abortUpload("b", "mp", id), "NoSuchUpload", 404);
    assertCode(() -> origin.listParts("b", "mp", "../../etc", 0, 10), "NoSuchUpload", 404);
    assertThat(origin.listUploads("b", new UploadListRequest("", null, null, null, 10)).uploads())
        .isEmpty();

    // Completed again (the first answer was lost): answered as the first was, nothing rewritten;
    // other parts, or once the key holds another version, the upload is gone.
    List<CompletedPart> named =
        List.of(new CompletedPart(1, p1.etag()), new CompletedPart(2, p2.etag()));
    assertThat(origin.completeUpload("b", "mp", id, named, WriteCondition.NONE)).isEqualTo(done);
    assertCode(
        () ->
            origin.completeUpload(
                "b", "mp", id, List.of(new CompletedPart(1, p1.etag())), WriteCondition.NONE),
        "NoSuchUpload",
        404);
    origin.put("b", "mp", Payloads.of("replaced"), ObjectMetadata.EMPTY, WriteCondition.NONE);
    assertCode(
        () -> origin.completeUpload("b", "mp", id, named, WriteCondition.NONE),
        "NoSuchUpload",
        404);
  }

  @Test
  void writersInTwoProcessesNeverTearAnObject() throws Exception {
    // Another JVM writes the same key while this one does: only the file locks keep them apart.
    String javaBin = ProcessHandle.current().info().command().orElseThrow();
    Process other =
        new ProcessBuilder(
                javaBin,
                "-cp",
                System.getProperty("java.class.path"),
                OriginHammer.class.getName(),
                root.toString(),
                "other")
            .redirectErrorStream(true)
            .start();
    hammer(origin, "this");
    assertThat(other.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(other.exitValue()).as(new String(other.getInputStream().readAllBytes())).isZero();
    assertThat(get("contended")).matches("((this|other) \\d+ ){50}");
    Path dir = KeyPaths.objectDir(root.resolve("b"), "contended");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(
              files
                  .map(p -> p.getFileName().toString())
                  .filter(n -> n.startsWith(".data-") || n.startsWith(".tmp-")))
          .hasSize(1);
    }
  }

  /** Puts (and now and then deletes) one key many times, ending with a put. */
  static void hammer(Origin origin, String who) {
    for (int i = 0; i < 200; i++) {
      String value = (who + " " + i + " ").repeat(50);
      origin.put("b", "contended", Payloads.of(value), ObjectMetadata.EMPTY, WriteCondition.NONE);
      if (i % 10 == 4) {
        origin.delete("b", "contended", null);
      }
    }
  }

  /** The other process of {@link #writersInTwoProcessesNeverTearAnObject}. */
  public static final class OriginHammer {
    public static void main(String[] args) {
      try (DirectoryOrigin origin = new DirectoryOrigin(Path.of(args[0]))) {
        hammer(origin, args[1]);
      }
    }
  }

  @Test
  void bucketNamesCannotEscapeTheRoot() {
    for (String name : new String[] {"..", ".", ".leasehold", "a/b"}) {
      assertCode(() -> origin.head(name, "k"), "InvalidBucketName", 400);
    }
  }
}
