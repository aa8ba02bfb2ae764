package dev.leasehold.flush;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectInfoJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-back journal of one site: every put or delete acknowledged in a write-back bucket and
 * not yet known to be at the origin. Nothing is acknowledged before its entry is durable.
 *
 * <p><b>On disk</b>, in {@code <data-dir>/journal/}, one entry is two files:
 *
 * <ul>
 *   <li>{@code <seq>.data}: the body, exactly its bytes (absent for a delete); fsynced, then moved
 *       here from staging;
 *   <li>{@code <seq>.rec}: one JSON object {@code {"format", "seq", "bucket", "key", "exists",
 *       "md5"}} ({@link #FORMAT}) and, for a put, the version's fields ({@link ObjectInfoJson}),
 *       written to {@code <seq>.rec.tmp}, fsynced, renamed, and the directory fsynced.
 * </ul>
 *
 * A record is written only once its body is durable, so a record names a whole body; a crash leaves
 * at worst a {@code .tmp} or a body with no record, both removed at start-up (neither was
 * acknowledged). An entry is removed (record first, then body) once a later flush or commit
 * supersedes it.
 *
 * <p>{@code seq} is never used twice, across restarts too, also once every entry that could be
 * counted from has been removed (the coordinator keeps an owner's {@code seq}s): {@code <dir>/seq}
 * holds a number below which every {@code seq} may have been handed out. It is raised {@value
 * #RESERVE} at a time (written to {@code seq.tmp}, fsynced, renamed, the directory fsynced) before
 * a number at or above it is handed out, and a start continues from it or from one more than the
 * largest on disk, whichever is higher.
 *
 * <p><b>Threading.</b> Thread-safe: appends and removals of one key are made by the one write or
 * flush of that key at a time that the site allows; the index is concurrent, and a reader that
 * finds an entry removed under it falls back to the origin.
 */
public final class Journal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Key(String bucket, String key) {}

  /** How many sequence numbers one write of {@code <dir>/seq} reserves. */
  static final long RESERVE = 1024;

  private static final String SEQ_FILE = "seq";

  /**
   * The format of the records this release writes: 2 names it in each record ({@code "format"}); a
   * record without one is of format 1, the release before, and is read the same way. A record of a
   * newer format stops the start rather than be dropped: it may be an acknowledged write.
   */
  static final int FORMAT = 2;

  /** A record of a format this release does not know: the journal is left as it is. */
  private static final class NewerFormat extends RuntimeException {
    private static final long serialVersionUID = 1;

    NewerFormat(String message) {
      super(message);
    }
  }

  private final Path dir;
  private final AtomicLong nextSeq;

  /** Every seq below this may have been handed out (guarded by {@code this}). */
  private long reserved;

  /** The entries of each key, by seq. */
  private final Map<Key, ConcurrentSkipListMap<Long, JournalEntry>> entries =
      new ConcurrentHashMap<>();

  /** Once closed, nothing is written or removed: the directory is the next instance's. */
  private volatile boolean closed;

  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong count = new AtomicLong();

  private Journal(Path dir, long nextSeq) {
    this.dir = dir;
    this.nextSeq = new AtomicLong(nextSeq);
    this.reserved = nextSeq;
  }

  /** Opens the journal in {@code dir}, recovering every whole entry and removing the rest. */
  public static Journal open(Path dir) {
    try {
      Files.createDirectories(dir);
      List<JournalEntry> found = new ArrayList<>();
      long maxSeq = 0;
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> all = Files.newDirectoryStream(dir)) {
        all.forEach(files::add);
      }
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(".rec")) {
          JournalEntry e = read(f, dir);
          if (e != null) {
            found.add(e);
            maxSeq = Math.max(maxSeq, e.seq());
          }
        }
      }
      Journal journal = new Journal(dir, Math.max(maxSeq + 1, readReserved(dir)));
      java.util.Set<Long> whole = new java.util.HashSet<>();
      for (JournalEntry e : found) {
        journal.index(e);
        whole.add(e.seq());
      }
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.equals(SEQ_FILE)) {
          continue;
        }
        boolean orphan = name.endsWith(".tmp") || !whole.contains(seqOf(name));
        if (orphan) {
          Files.deleteIfExists(f); // never acknowledged: its record was not durable
        }
      }
      return journal;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the write-back journal in " + dir, e);
    }
  }

  private static long readReserved(Path dir) throws IOException {
    Path file = dir.resolve(SEQ_FILE);
    if (!Files.exists(file)) {
      return 1;
    }
    try {
      return Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim());
    } catch (NumberFormatException e) {
      throw new IOException(file + " does not hold a number", e);
    }
  }

  /** The next sequence number, reserved on disk first when it reaches the reservation. */
  private long nextSeq() throws IOException {
    long seq = nextSeq.getAndIncrement();
    synchronized (this) {
      if (seq >= reserved) {
        long upTo = seq + RESERVE;
        Path tmp = dir.resolve(SEQ_FILE + ".tmp");
        try (FileChannel ch =
            FileChannel.open(
                tmp,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
          ch.write(java.nio.ByteBuffer.wrap(Long.toString(upTo).getBytes(StandardCharsets.UTF_8)));
          ch.force(true);
        }
        Files.move(tmp, dir.resolve(SEQ_FILE), StandardCopyOption.ATOMIC_MOVE);
        syncDirectory();
        reserved = upTo;
      }
    }
    return seq;
  }

  private void syncDirectory() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static long seqOf(String name) {
    int dot = name.indexOf('.');
    try {
      return Long.parseLong(name.substring(0, dot < 0 ? name.length() : dot));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Makes a put durable: {@code body} (a file on the same file system, which this takes over) is
   * fsynced and moved into the journal, then the record is written. Returns once both are on disk.
   */
  public JournalEntry put(String bucket, String key, ObjectInfo info, String md5, Path body)
      throws IOException {
    checkOpen();
    long seq = nextSeq();
    Path data = dir.resolve(seq + ".data");
    try (FileChannel ch = FileChannel.open(body, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(body, data, StandardCopyOption.ATOMIC_MOVE);
    JournalEntry e = new JournalEntry(seq, bucket, key, info, md5, data);
    writeRecord(e);
    index(e);
    return e;
  }

  /** Makes a delete durable. */
  public JournalEntry delete(String bucket, String key) throws IOException {
    checkOpen();
    JournalEntry e = new JournalEntry(nextSeq(), bucket, key, null, "", null);
    writeRecord(e);
    index(e);
    return e;
  }

  /** The entry numbered {@code seq} of a key, or null. */
  public @Nullable JournalEntry entry(String bucket, String key, long seq) {
    var m = entries.get(new Key(bucket, key));
    return m == null ? null : m.get(seq);
  }

  /** The latest entry of a key, or null. */
  public @Nullable JournalEntry latest(String bucket, String key) {
    var m = entries.get(new Key(bucket, key));
    var last = m == null ? null : m.lastEntry();
    return last == null ? null : last.getValue();
  }

  /** The latest entry of a key that wrote version {@code etag}, or null. */
  public @Nullable JournalEntry find(String bucket, String key, String etag) {
    var m = entries.get(new Key(bucket, key));
    if (m == null) {
      return null;
    }
    for (JournalEntry e : m.descendingMap().values()) {
      if (e.info() != null && e.info().etag().equals(etag)) {
        return e;
      }
    }
    return null;
  }

  /** Every entry, by key, oldest first. */
  public List<JournalEntry> all() {
    List<JournalEntry> out = new ArrayList<>();
    entries.values().forEach(m -> out.addAll(m.values()));
    return out;
  }

  /** Removes the entries of a key numbered {@code upTo} or lower: a flush superseded them. */
  public void removeUpTo(String bucket, String key, long upTo) {
    var m = entries.get(new Key(bucket, key));
    if (m == null) {
      return;
    }
    for (JournalEntry e : List.copyOf(m.headMap(upTo, true).values())) {
      remove(e);
    }
  }

  /** Removes one entry (record first: without it, the body is an orphan). */
  public void remove(JournalEntry e) {
    if (closed) {
      return;
    }
    Key k = new Key(e.bucket(), e.key());
    var m = entries.get(k);
    if (m == null || m.remove(e.seq()) == null) {
      return;
    }
    entries.computeIfPresent(k, (key, v) -> v.isEmpty() ? null : v);
    count.decrementAndGet();
    bytes.addAndGet(-e.size());
    try {
      Files.deleteIfExists(dir.resolve(e.seq() + ".rec"));
      if (e.data() != null) {
        Files.deleteIfExists(e.data());
      }
    } catch (IOException ex) {
      LOG.warn("could not remove journal entry {}: {}", e.seq(), ex.toString());
    }
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException("the journal is closed (the site is stopping)");
    }
  }

  /**
   * Closes the journal: writes still in flight fail, removals are skipped. What is on disk stays,
   * for the next start.
   */
  @Override
  public void close() {
    closed = true;
  }

  /** Entries in the journal. */
  public long count() {
    return count.get();
  }

  /** Bytes of bodies in the journal. */
  public long bytes() {
    return bytes.get();
  }

  private void index(JournalEntry e) {
    entries
        .computeIfAbsent(new Key(e.bucket(), e.key()), k -> new ConcurrentSkipListMap<>())
        .put(e.seq(), e);
    count.incrementAndGet();
    bytes.addAndGet(e.size());
  }

  private void writeRecord(JournalEntry e) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("format", FORMAT).put("seq", e.seq()).put("bucket", e.bucket()).put("key", e.key());
    ObjectInfo info = e.info();
    n.put("exists", info != null);
    if (info != null) {
      ObjectInfoJson.write(info, n).put("md5", e.md5());
    }
    Path tmp = dir.resolve(e.seq() + ".rec.tmp");
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(n)));
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(e.seq() + ".rec"), StandardCopyOption.ATOMIC_MOVE);
    syncDirectory();
  }

  /** Reads one record; null (and a warning) if it is not whole or its body is missing. */
  private static @Nullable JournalEntry read(Path rec, Path dir) {
    try {
      JsonNode n = JSON.readTree(Files.readAllBytes(rec));
      int format = n.path("format").asInt(1);
      if (format > FORMAT) {
        throw new NewerFormat(
            "journal record "
                + rec
                + " is of format "
                + format
                + ", written by a newer release; this one reads formats 1 to "
                + FORMAT
                + ". Start the newer release again to flush the journal before going back"
                + " (docs/operations.md, Upgrading).");
      }
      long seq = n.get("seq").asLong();
      String bucket = n.get("bucket").asText();
      String key = n.get("key").asText();
      if (!n.get("exists").asBoolean()) {
        return new JournalEntry(seq, bucket, key, null, "", null);
      }
      ObjectInfo info = ObjectInfoJson.read(n);
      Path data = dir.resolve(seq + ".data");
      if (!Files.exists(data) || Files.size(data) != info.size()) {
        LOG.error("journal entry {} ({}/{}) has no whole body; dropping it", seq, bucket, key);
        return null;
      }
      return new JournalEntry(seq, bucket, key, info, n.get("md5").asText(), data);
    } catch (NewerFormat e) {
      throw new IllegalStateException(e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      LOG.error("journal record {} is unreadable; dropping it: {}", rec, e.toString());
      return null;
    }
  }
}
