package dev.leasehold.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The jar the build made ({@code target/leasehold-*-all.jar}, there once {@code mvn package} ran,
 * before the end-to-end tests), and the command line that runs it as a user would. Stateless.
 */
public final class BuiltJar {
  private BuiltJar() {}

  /** {@code java ... -cp <jar> dev.leasehold.cli.Main <args>}, on this test's JDK. */
  public static List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("--enable-native-access=ALL-UNNAMED");
    if (Runtime.version().feature() >= 24) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.add("-cp");
    command.add(path().toString());
    command.add("dev.leasehold.cli.Main");
    command.addAll(List.of(args));
    return command;
  }

  /** The S3 endpoint a line of {@code serve}'s banner names ({@code S3 endpoint http://...}). */
  public static @Nullable URI s3Endpoint(String bannerLine) {
    String line = bannerLine.trim();
    return line.startsWith("S3 endpoint") ? URI.create(line.split("\\s+")[2]) : null;
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
