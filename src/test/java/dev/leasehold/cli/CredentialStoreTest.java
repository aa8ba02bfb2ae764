package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default's key pair: generated once into a file only its owner may read, and marked
 * generated only that first time (when the start-up banner shows the secret key).
 */
class CredentialStoreTest {
  @Test
  void theKeyPairIsGeneratedOnceAndShownOnlyThen(@TempDir Path meta) throws Exception {
    CredentialStore.Loaded first = CredentialStore.load(meta, Map.of());
    CredentialStore.Loaded again = CredentialStore.load(meta, Map.of());

    assertThat(first.generated()).isTrue();
    assertThat(again.generated()).isFalse();
    assertThat(again.credentials()).isEqualTo(first.credentials());
    Path file = meta.resolve("credentials");
    assertThat(again.file()).isEqualTo(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(again.secretInShell()).isEqualTo("$(sed -n 2p " + file + ")");
  }

  @Test
  void keysFromTheEnvironmentAreNeverShown(@TempDir Path meta) {
    CredentialStore.Loaded env =
        CredentialStore.load(
            meta, Map.of("LEASEHOLD_ACCESS_KEY", "AKID", "LEASEHOLD_SECRET_KEY", "s3cr3t"));
    assertThat(env.generated()).isFalse();
    assertThat(env.file()).isNull();
    assertThat(env.secretInShell()).isEqualTo("$LEASEHOLD_SECRET_KEY");
    assertThat(meta.resolve("credentials")).doesNotExist();
  }
}
