package dev.leasehold.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The jar the build made ({@code target/leasehold-*-all.jar}, there once {@code mvn package} ran,
 * before the end-to-end tests), and the command line that runs it as a user would. Stateless.
 */
public final class BuiltJar {
  /** The line of {@code serve}'s banner that names its S3 endpoint (group 1). */
  public static final Pattern S3_ENDPOINT = Pattern.compile("^\\s+S3 endpoint\\s+(\\S+)");

  private BuiltJar() {}

  /** {@code java ... -cp <jar> dev.leasehold.cli.Main <args>}, on this test's JDK. */
  public static List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("--enable-native-access=ALL-UNNAMED");
    // Class data sharing: the first process writes an archive of the classes it loaded, and the
    // tests' later processes start from it (about a second less each on two busy cores).
    command.add("-XX:+AutoCreateSharedArchive");
    command.add("-XX:SharedArchiveFile=" + Path.of("target", "leasehold-cds.jsa").toAbsolutePath());
    command.add("-Xlog:cds=off,cds+dynamic=off");
    if (Runtime.version().feature() >= 24) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.add("-cp");
    command.add(path().toString());
    command.add("dev.leasehold.cli.Main");
    command.addAll(List.of(args));
    return command;
  }

  static Path path() {
    try (DirectoryStream<Path> jars =
        Files.newDirectoryStream(Path.of("target"), "leasehold-*-all.jar")) {
      for (Path jar : jars) {
        return jar.toAbsolutePath();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no target/leasehold-*-all.jar: run after mvn package");
  }
}
