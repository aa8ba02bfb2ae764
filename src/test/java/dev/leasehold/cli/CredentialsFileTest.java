package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.s3.KeyRing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a credentials file may say, and the message for each thing it may not. */
class CredentialsFileTest {
  private static final String OWN = "LHOWNKEY00000001";

  @TempDir Path dir;

  private CredentialsFile load(String yaml) throws IOException {
    Path file = dir.resolve("credentials.yaml");
    Files.writeString(file, yaml);
    return new CredentialsFile(file, OWN);
  }

  private static String entry(String access, String fields) {
    return "keys:\n  - access-key: " + access + "\n" + fields;
  }

  @Test
  void readsScopedKeys() throws IOException {
    CredentialsFile keys =
        load(
            entry(
                    "AKREADER1",
                    "    secret-key: \"0123456789abcdefghij\"\n"
                        + "    buckets: [a, b]\n    access: read-only\n")
                + "  - access-key: AKALL\n    secret-key: \"0123456789abcdefghij\"\n"
                + "    buckets: [\"*\"]\n    access: read-write\n");
    assertThat(keys.size()).isEqualTo(2);
    KeyRing.Key reader = keys.find("AKREADER1");
    assertThat(reader).isNotNull();
    assertThat(reader.secretKey()).isEqualTo("0123456789abcdefghij");
    assertThat(reader.scope().buckets()).isEqualTo(Set.of("a", "b"));
    assertThat(reader.scope().writable()).isFalse();
    assertThat(reader.scope().covers("c")).isFalse();
    KeyRing.Key all = keys.find("AKALL");
    assertThat(all).isNotNull();
    assertThat(all.scope().covers("anything")).isTrue();
    assertThat(all.scope().writable()).isTrue();
    assertThat(keys.find("AKNOBODY")).isNull();
    assertThat(reader.toString()).doesNotContain("0123456789abcdefghij");
  }

  @Test
  void refusesWhatItCannotUnderstandNamingTheProblem() {
    String ok = "    secret-key: \"0123456789abcdefghij\"\n    buckets: [a]\n";
    assertRefused("keys: {}\n", "must hold one list, keys:");
    assertRefused("other: 1\n", "must hold one list, keys:");
    assertRefused(entry("AKA", ok), "key 1 needs access");
    assertRefused(
        entry("AKA", ok + "    access: write\n"), "access must be read-only or read-write");
    assertRefused(
        entry("AKA", ok + "    access: read-only\n    bucket: [b]\n"), "unknown field 'bucket'");
    assertRefused(entry("AKA", "    buckets: [a]\n    access: read-only\n"), "needs secret-key");
    assertRefused(
        entry("AKA", "    secret-key: short\n    buckets: [a]\n    access: read-only\n"),
        "secret-key must be 16 or more characters");
    assertRefused(
        entry(
            "AKA",
            "    secret-key: \"0123456789abcdefghij\"\n    buckets: []\n    access: read-only\n"),
        "buckets must be a list");
    assertRefused(entry("AK/A", ok + "    access: read-only\n"), "access-key must be 3 to 128");
    assertRefused(entry(OWN, ok + "    access: read-only\n"), "is named twice");
    assertRefused(
        entry("AKA", ok + "    access: read-only\n")
            + "  - access-key: AKA\n"
            + ok
            + "    access: read-write\n",
        "key 2: access key AKA is named twice");
    assertRefused(entry("12345", ok + "    access: read-only\n"), "must be a string (quote it)");
    assertRefused("keys: [\n", "credentials:");
  }

  private void assertRefused(String yaml, String message) {
    assertThatThrownBy(() -> load(yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("credentials: ")
        .hasMessageContaining(message);
  }
}
