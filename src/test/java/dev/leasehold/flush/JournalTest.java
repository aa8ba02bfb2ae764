package dev.leasehold.flush;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-back journal's recovery at start, on real files: every whole entry comes back with its
 * body, what a crash can leave half-written (a record's {@code .tmp}, a body without its record, a
 * truncated record, a body shorter than its record says) is removed, and sequence numbers keep
 * growing across restarts, also after every entry was removed.
 */
class JournalTest {
  @TempDir Path dir;

  private Path journalDir() {
    return dir.resolve("journal");
  }

  /** A body in staging (same file system), as the write path hands it over. */
  private Path body(String content) throws IOException {
    Path staged = Files.createTempFile(dir, "staged-", ".body");
    Files.writeString(staged, content, StandardCharsets.UTF_8);
    return staged;
  }

  private static ObjectInfo info(String key, String content) {
    return new ObjectInfo(
        key,
        content.getBytes(StandardCharsets.UTF_8).length,
        "etag-" + content,
        Instant.parse("2026-12-03T12:00:00Z"),
        ObjectMetadata.EMPTY,
        0);
  }

  private JournalEntry put(Journal j, String key, String content) throws IOException {
    return j.put("b", key, info(key, content), "md5-" + content, body(content));
  }

  /** The entries' files in the journal directory (not its {@code seq} reservation). */
  private List<String> files() throws IOException {
    try (Stream<Path> s = Files.list(journalDir())) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("seq")).sorted().toList();
    }
  }

  @Test
  void wholeEntriesComeBackWithTheirBodies() throws IOException {
    try (Journal j = Journal.open(journalDir())) {
      put(j, "k1", "one");
      put(j, "k1", "one again");
      j.delete("b", "k2");
    }
    try (Journal j = Journal.open(journalDir())) {
      assertThat(j.count()).isEqualTo(3);
      assertThat(j.bytes()).isEqualTo("one".length() + "one again".length());
      JournalEntry latest = j.latest("b", "k1");
      assertThat(latest).isNotNull();
      assertThat(latest.seq()).isEqualTo(2);
      assertThat(latest.info()).isEqualTo(info("k1", "one again"));
      assertThat(latest.md5()).isEqualTo("md5-one again");
      assertThat(Files.readString(latest.data(), StandardCharsets.UTF_8)).isEqualTo("one again");
      JournalEntry deleted = j.latest("b", "k2");
      assertThat(deleted).isNotNull();
      assertThat(deleted.isDelete()).isTrue();
      assertThat(deleted.seq()).isEqualTo(3);
    }
  }

  /**
   * docs/operations.md, Upgrading: a record as the release before wrote it (no {@code format}) is
   * recovered, and a record of a newer format stops the start with what to do, leaving every file
   * as it was (it may be an acknowledged write).
   */
  @Test
  void recordsOfTheReleaseBeforeAreReadAndANewerFormatStopsTheStart() throws IOException {
    try (Journal j = Journal.open(journalDir())) {
      put(j, "old", "from the release before");
      put(j, "new", "from a newer release");
    }
    Path journal = journalDir();
    String old = Files.readString(journal.resolve("1.rec"));
    assertThat(old).contains("\"format\":" + Journal.FORMAT);
    Files.writeString(journal.resolve("1.rec"), old.replace("\"format\":2,", ""));
    assertThat(Files.readString(journal.resolve("1.rec"))).doesNotContain("format");
    try (Journal j = Journal.open(journal)) {
      assertThat(j.count()).isEqualTo(2);
      JournalEntry e = j.latest("b", "old");
      assertThat(e).isNotNull();
      assertThat(Files.readString(java.util.Objects.requireNonNull(e.data())))
          .isEqualTo("from the release before");
    }

    String newer =
        Files.readString(journal.resolve("2.rec")).replace("\"format\":2", "\"format\":3");
    Files.writeString(journal.resolve("2.rec"), newer);
    List<String> before = files();
    assertThatThrownBy(() -> Journal.open(journal))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("format 3")
        .hasMessageContaining("newer release");
    assertThat(files()).isEqualTo(before);
    assertThat(Files.readString(journal.resolve("2.rec"))).isEqualTo(newer);
  }

  @Test
  void halfWrittenEntriesAreRemovedAtStart() throws IOException {
    try (Journal j = Journal.open(journalDir())) {
      put(j, "whole", "kept");
      put(j, "torn", "a body that lost its tail");
      put(j, "truncated", "a record cut short");
    }
    Path journal = journalDir();
    // A crash while writing a record: its .tmp, with the body already moved in.
    Files.writeString(journal.resolve("4.data"), "unrecorded", StandardCharsets.UTF_8);
    Files.writeString(journal.resolve("4.rec.tmp"), "{\"seq\":4,\"buck", StandardCharsets.UTF_8);
    // A body moved in, and no record at all.
    Files.writeString(journal.resolve("5.data"), "orphan", StandardCharsets.UTF_8);
    // A body shorter than its record says (torn by a power loss).
    Files.writeString(journal.resolve("2.data"), "a body", StandardCharsets.UTF_8);
    // A record cut short.
    String record = Files.readString(journal.resolve("3.rec"), StandardCharsets.UTF_8);
    Files.writeString(
        journal.resolve("3.rec"), record.substring(0, record.length() / 2), StandardCharsets.UTF_8);

    try (Journal j = Journal.open(journal)) {
      assertThat(j.count()).isEqualTo(1);
      assertThat(j.all()).extracting(JournalEntry::key).containsExactly("whole");
      assertThat(files()).containsExactly("1.data", "1.rec");
    }
  }

  @Test
  void sequenceNumbersGrowAcrossRestarts() throws IOException {
    try (Journal j = Journal.open(journalDir())) {
      assertThat(put(j, "k", "1").seq()).isEqualTo(1);
      assertThat(put(j, "k", "2").seq()).isEqualTo(2);
    }
    long third;
    try (Journal j = Journal.open(journalDir())) {
      third = put(j, "k", "3").seq();
      assertThat(third).isGreaterThan(2);
      j.removeUpTo("b", "k", third); // flushed: nothing left on disk
      assertThat(j.count()).isZero();
      assertThat(files()).isEmpty();
    }
    try (Journal j = Journal.open(journalDir())) {
      assertThat(put(j, "k", "4").seq())
          .as("a number is never used twice, also when no entry was left to count from")
          .isGreaterThan(third);
    }
  }

  @Test
  void aClosedJournalTakesNoWritesAndKeepsItsFiles() throws IOException {
    Journal j = Journal.open(journalDir());
    JournalEntry e = put(j, "k", "kept");
    j.close();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> put(j, "k", "late"))
        .isInstanceOf(IOException.class);
    j.remove(e);
    assertThat(files()).containsExactly("1.data", "1.rec");
  }
}
