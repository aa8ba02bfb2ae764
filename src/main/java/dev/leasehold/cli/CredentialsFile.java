package dev.leasehold.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.leasehold.error.WouldWait;
import dev.leasehold.s3.KeyRing;
import dev.leasehold.s3.KeyScope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scoped key pairs from {@code --credentials FILE}, read again when the file changes:
 *
 * <pre>
 * keys:
 *   - access-key: AKDATASETSREADER
 *     secret-key: 40 characters or so, at least 16
 *     buckets: [datasets, models]     # or ["*"] for every bucket
 *     access: read-only               # or read-write
 * </pre>
 *
 * <p>A file that does not load at start stops the site with a message naming what is wrong; one
 * that does not load later is logged and the previous keys kept. The file is looked at no more than
 * once a second, when a request names a key.
 *
 * <p>Thread-safe: the current keys are one immutable map behind a volatile field.
 */
final class CredentialsFile implements KeyRing {
  private static final Logger LOG = LoggerFactory.getLogger(CredentialsFile.class);
  private static final long CHECK_NANOS = 1_000_000_000L;
  private static final Pattern ACCESS_KEY = Pattern.compile("[A-Za-z0-9]{3,128}");
  private static final Set<String> FIELDS = Set.of("access-key", "secret-key", "buckets", "access");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private record Loaded(Map<String, Key> keys, FileTime modified, long size) {}

  private final Path file;
  private final String ownAccessKey;
  private volatile Loaded current;
  private volatile long checkedAt;

  /**
   * Reads the file now.
   *
   * @param ownAccessKey the site's own access key, which the file may not name again
   * @throws ConfigException if the file cannot be read or is not a list of keys as above
   */
  CredentialsFile(Path file, String ownAccessKey) {
    this.file = file;
    this.ownAccessKey = ownAccessKey;
    try {
      this.current = load();
    } catch (IOException e) {
      throw new ConfigException(Setting.CREDENTIALS.key(), "cannot read " + file + ": " + e);
    }
    this.checkedAt = System.nanoTime();
    LOG.info("{} scoped key pairs from {}", current.keys().size(), file);
  }

  /** How many key pairs the file holds now. */
  int size() {
    return current.keys().size();
  }

  @Override
  public @Nullable Key find(String accessKey) {
    long now = System.nanoTime();
    if (now - checkedAt >= CHECK_NANOS) {
      // Looking at the file may wait on its disk: a request on the event loop that is due to look
      // goes to a thread of its own, so a changed file is still seen within the second.
      WouldWait.check();
      checkedAt = now;
      Loaded was = current;
      try {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        if (!a.lastModifiedTime().equals(was.modified()) || a.size() != was.size()) {
          current = load();
          LOG.info("{} key pairs reloaded from {}", current.keys().size(), file);
        }
      } catch (IOException | RuntimeException e) {
        LOG.warn("{} not reloaded (keeping the previous keys): {}", file, e.getMessage());
      }
    }
    return current.keys().get(accessKey);
  }

  private Loaded load() throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    JsonNode root = YAML.readTree(Files.readAllBytes(file));
    JsonNode list = root == null ? null : root.get("keys");
    if (root == null || !root.isObject() || root.size() != 1 || list == null || !list.isArray()) {
      throw invalid("must hold one list, keys:");
    }
    Map<String, Key> keys = new HashMap<>();
    int n = 0;
    for (JsonNode entry : list) {
      n++;
      if (!entry.isObject()) {
        throw invalid("key " + n + " must be a map of access-key, secret-key, buckets, access");
      }
      for (Iterator<String> names = entry.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!FIELDS.contains(name)) {
          throw invalid("key " + n + " has an unknown field '" + name + "'");
        }
      }
      String access = text(entry, "access-key", n);
      if (!ACCESS_KEY.matcher(access).matches()) {
        throw invalid("key " + n + ": access-key must be 3 to 128 of A-Z a-z 0-9");
      }
      if (access.equals(ownAccessKey) || keys.containsKey(access)) {
        throw invalid("key " + n + ": access key " + access + " is named twice");
      }
      String secret = text(entry, "secret-key", n);
      if (secret.length() < 16 || secret.chars().anyMatch(Character::isWhitespace)) {
        throw invalid("key " + n + " (" + access + "): secret-key must be 16 or more characters");
      }
      keys.put(access, new Key(secret, new KeyScope(buckets(entry, n), writable(entry, n))));
    }
    return new Loaded(Map.copyOf(keys), attributes.lastModifiedTime(), attributes.size());
  }

  private static @Nullable Set<String> buckets(JsonNode entry, int n) {
    JsonNode list = entry.get("buckets");
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw invalid("key " + n + ": buckets must be a list of bucket names, or [\"*\"]");
    }
    Set<String> buckets = new HashSet<>();
    for (JsonNode b : list) {
      if (!b.isTextual() || b.asText().isBlank()) {
        throw invalid("key " + n + ": buckets must be a list of bucket names, or [\"*\"]");
      }
      if (b.asText().equals("*")) {
        return null;
      }
      buckets.add(b.asText().trim());
    }
    return buckets;
  }

  private static boolean writable(JsonNode entry, int n) {
    return switch (text(entry, "access", n)) {
      case "read-only" -> false;
      case "read-write" -> true;
      default -> throw invalid("key " + n + ": access must be read-only or read-write");
    };
  }

  private static String text(JsonNode entry, String field, int n) {
    JsonNode value = entry.get(field);
    if (value == null || value.isNull()) {
      throw invalid("key " + n + " needs " + field);
    }
    if (!value.isTextual() || value.asText().isBlank()) {
      throw invalid("key " + n + ": " + field + " must be a string (quote it)");
    }
    return value.asText().trim();
  }

  private static ConfigException invalid(String what) {
    return new ConfigException(Setting.CREDENTIALS.key(), what);
  }
}
