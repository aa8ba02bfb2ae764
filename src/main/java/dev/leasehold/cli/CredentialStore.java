package dev.leasehold.cli;

import dev.leasehold.s3.Credentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where a site's client credentials come from: {@code LEASEHOLD_ACCESS_KEY} and {@code
 * LEASEHOLD_SECRET_KEY} when both are set; otherwise the pair stored in {@code
 * <data-dir>/meta/credentials}, generated (randomly, once) if there is none. The file is readable
 * by its owner only.
 *
 * <p>Stateless; the file is written once by an atomic create.
 */
final class CredentialStore {
  static final String ACCESS_KEY_ENV = "LEASEHOLD_ACCESS_KEY";
  static final String SECRET_KEY_ENV = "LEASEHOLD_SECRET_KEY";
  static final String ADMIN_TOKEN_ENV = "LEASEHOLD_ADMIN_TOKEN";
  private static final String ACCESS_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  private static final String SECRET_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  /**
   * The credentials and where they came from, for the start-up banner.
   *
   * @param generated whether they were generated just now (the only time the banner shows the
   *     secret key)
   * @param file the file they are stored in, or null if they came from the environment
   */
  record Loaded(Credentials credentials, String source, boolean generated, @Nullable Path file) {

    /** What a shell reads the secret key from, for a banner that does not show it. */
    String secretInShell() {
      return file == null ? "$" + SECRET_KEY_ENV : "$(sed -n 2p " + file + ")";
    }
  }

  private CredentialStore() {}

  static Loaded load(Path metaDir, Map<String, String> env) {
    String access = env.get(ACCESS_KEY_ENV);
    String secret = env.get(SECRET_KEY_ENV);
    if (access != null && !access.isEmpty() && secret != null && !secret.isEmpty()) {
      return new Loaded(new Credentials(access, secret), "from the environment", false, null);
    }
    if ((access != null && !access.isEmpty()) != (secret != null && !secret.isEmpty())) {
      throw new ConfigException(
          ACCESS_KEY_ENV, "set both " + ACCESS_KEY_ENV + " and " + SECRET_KEY_ENV + ", or neither");
    }
    Path file = metaDir.resolve("credentials");
    SecureRandom random = new SecureRandom();
    Stored stored =
        storeOnce(
            file,
            () ->
                "LH"
                    + random(random, ACCESS_ALPHABET, 18)
                    + "\n"
                    + random(random, SECRET_ALPHABET, 40)
                    + "\n");
    List<String> lines = stored.lines();
    if (lines.size() < 2 || lines.get(0).isBlank() || lines.get(1).isBlank()) {
      throw new ConfigException(
          "credentials", file + " must hold the access key and the secret key on two lines");
    }
    return new Loaded(
        new Credentials(lines.get(0).trim(), lines.get(1).trim()),
        (stored.generated() ? "generated, stored in " : "stored in ") + file,
        stored.generated(),
        file);
  }

  /**
   * The token the admin API takes ({@code Authorization: Bearer <token>}): {@code
   * LEASEHOLD_ADMIN_TOKEN} when set, else the one stored in {@code <data-dir>/meta/admin-token},
   * generated once.
   */
  static String adminToken(Path metaDir, Map<String, String> env) {
    String token = env.get(ADMIN_TOKEN_ENV);
    if (token != null && !token.isBlank()) {
      return token.trim();
    }
    Path file = metaDir.resolve("admin-token");
    SecureRandom random = new SecureRandom();
    List<String> lines = storeOnce(file, () -> random(random, SECRET_ALPHABET, 40) + "\n").lines();
    if (lines.isEmpty() || lines.get(0).isBlank()) {
      throw new ConfigException("admin-token", file + " must hold the admin token");
    }
    return lines.get(0).trim();
  }

  /** The stored token, from {@code <data-dir>/meta/admin-token}, for the admin command. */
  static String storedAdminToken(Path metaDir) throws IOException {
    return Files.readAllLines(metaDir.resolve("admin-token"), StandardCharsets.UTF_8).get(0).trim();
  }

  private record Stored(List<String> lines, boolean generated) {}

  /**
   * The lines of {@code file}, which is written with {@code content} (readable by its owner only)
   * if it does not exist; atomic, so concurrent starts agree on the first content.
   */
  private static Stored storeOnce(Path file, java.util.function.Supplier<String> content) {
    Path dir = file.getParent();
    try {
      Files.createDirectories(dir);
      boolean generated = false;
      if (!Files.exists(file)) {
        Path tmp =
            Files.createTempFile(
                dir,
                file.getFileName().toString(),
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, content.get(), StandardCharsets.UTF_8);
        try {
          Files.createLink(file, tmp); // atomic: a concurrent start keeps the first content
          generated = true;
        } catch (FileAlreadyExistsException raced) {
          // another start wrote it first
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
      return new Stored(Files.readAllLines(file, StandardCharsets.UTF_8), generated);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or store " + file, e);
    }
  }

  private static String random(SecureRandom random, String alphabet, int length) {
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }
}
