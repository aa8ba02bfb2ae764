package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A data directory left open by an earlier run is narrowed to its owner at start. */
class DataDirectoryTest {
  @TempDir Path tmp;

  @Test
  void everyDirectoryBecomes0700AndEveryFile0600() throws Exception {
    Path data = tmp.resolve("data");
    Path cache = Files.createDirectories(data.resolve("cache/ab"));
    Path chunk = Files.writeString(cache.resolve("chunk"), "bytes");
    Path secret = Files.writeString(data.resolve("credentials"), "k\ns\n");
    Files.setPosixFilePermissions(chunk, PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-rw-rw-"));
    Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxr-xr-x"));

    DataDirectory.restrict(data);

    for (Path d : new Path[] {data, data.resolve("cache"), cache}) {
      assertThat(mode(d)).as(d.toString()).isEqualTo("rwx------");
    }
    for (Path f : new Path[] {chunk, secret}) {
      assertThat(mode(f)).as(f.toString()).isEqualTo("rw-------");
    }
    assertThat(Files.readString(chunk)).isEqualTo("bytes");
  }

  @Test
  void aMissingDirectoryIsCreatedForItsOwnerOnly() throws Exception {
    Path data = tmp.resolve("new/data");
    DataDirectory.restrict(data);
    assertThat(mode(data)).isEqualTo("rwx------");
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
