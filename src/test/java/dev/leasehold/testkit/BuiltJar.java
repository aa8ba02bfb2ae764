package dev.leasehold.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The jar the build made ({@code target/leasehold-*-all.jar}, there once {@code mvn package} ran,
 * before the end-to-end tests), and the command line that runs it as a user would. Stateless.
 */
public final class BuiltJar {
  /** The line of {@code serve}'s banner that names its S3 endpoint (group 1). */
  public static final Pattern S3_ENDPOINT = Pattern.compile("^\\s+S3 endpoint\\s+(\\S+)");

  private BuiltJar() {}

  /** Where the class-data-sharing archive of the jar is ({@link #archive}). */
  private static final Path ARCHIVE = Path.of("target", "leasehold-cds.jsa").toAbsolutePath();

  /** Whether {@link #archive} ran in this JVM. Guarded by the class. */
  private static boolean archived;

  /** {@code java ... -cp <jar> dev.leasehold.cli.Main <args>}, on this test's JDK. */
  public static List<String> command(String... args) {
    // Class data sharing: the processes start from an archive of the classes a site loads
    // (about a second less each on two busy cores). Never written by them (see archive).
    List<String> command = archive() ? java("-XX:SharedArchiveFile=" + ARCHIVE) : java();
    command.addAll(List.of(args));
    return command;
  }

  /** {@code java ... -cp <jar> dev.leasehold.cli.Main <args>} for another build's jar. */
  public static List<String> commandOf(Path jar, String... args) {
    List<String> command = javaOf(jar);
    command.addAll(List.of(args));
    return command;
  }

  /** {@code java} with {@code options} and the jar's main class. */
  private static List<String> java(String... options) {
    return javaOf(path(), options);
  }

  private static List<String> javaOf(Path jar, String... options) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of(options));
    command.add("-Xlog:cds=off,cds+dynamic=off");
    command.add("--enable-native-access=ALL-UNNAMED");
    if (Runtime.version().feature() >= 24) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.add("-cp");
    command.add(jar.toString());
    command.add("dev.leasehold.cli.Main");
    return command;
  }

  /**
   * Makes the archive of the classes a site loads, once per jar: a site on its embedded default is
   * started for it and stopped, and writes the archive as it exits. (Left to the JVM to make at the
   * exit of whichever processes started first, the archive cost each of them a dump of 60 MB at its
   * stop: 15 s under a rolling restart's load on two cores, past 30 s once in CI.) Whether there is
   * an archive to use; without one the processes only start a little slower.
   */
  private static synchronized boolean archive() {
    if (archived) {
      return Files.exists(ARCHIVE);
    }
    archived = true;
    Path dir = null;
    try {
      if (Files.exists(ARCHIVE)
          && Files.getLastModifiedTime(ARCHIVE).compareTo(Files.getLastModifiedTime(path())) > 0) {
        return true; // made for this jar
      }
      Files.deleteIfExists(ARCHIVE);
      dir = Files.createTempDirectory("leasehold-cds-");
      Path made = dir.resolve("made.jsa");
      Path out = dir.resolve("out.log");
      List<String> command = java("-XX:ArchiveClassesAtExit=" + made);
      command.addAll(
          List.of(
              "serve",
              "--data-dir=" + dir.resolve("data"),
              "--s3-port=0",
              "--admin-port=0",
              "--peer-port=0"));
      Process site =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (site.isAlive()
          && System.nanoTime() - deadline < 0
          && !Files.readString(out).contains("Stop with")) {
        Thread.sleep(100);
      }
      site.destroy(); // SIGTERM: the archive is written as it exits
      if (!site.waitFor(60, TimeUnit.SECONDS)) {
        site.destroyForcibly();
      }
      if (Files.exists(made)) {
        Files.move(made, ARCHIVE, StandardCopyOption.ATOMIC_MOVE);
        return true;
      }
      System.err.println("no class-data-sharing archive was made:\n" + Files.readString(out));
      return false;
    } catch (IOException e) {
      System.err.println("no class-data-sharing archive: " + e);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (dir != null) {
        try {
          ProcessNamespace.delete(dir);
        } catch (UncheckedIOException e) {
          // a temporary directory left behind
        }
      }
    }
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
