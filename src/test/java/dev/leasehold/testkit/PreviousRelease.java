package dev.leasehold.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The jar of the release before this one, built from the git history: the commit named in {@code
 * src/test/resources/previous-release} is exported ({@code git archive}) into a temporary directory
 * and packaged there with Maven (its tests skipped), on this test's JDK. Kept in {@code
 * target/previous-release/} for later runs of the same checkout.
 *
 * <p>Thread-safe: built once.
 */
public final class PreviousRelease {
  private static final Path CACHE = Path.of("target", "previous-release").toAbsolutePath();

  private PreviousRelease() {}

  /** The commit of the release before. */
  public static String commit() {
    try (var in = PreviousRelease.class.getResourceAsStream("/previous-release")) {
      if (in == null) {
        throw new IllegalStateException("src/test/resources/previous-release is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .filter(l -> !l.isBlank() && !l.startsWith("#"))
          .findFirst()
          .orElseThrow()
          .trim();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The previous release's jar, built on first use. */
  public static synchronized Path jar() {
    String commit = commit();
    Path jar = CACHE.resolve(commit + ".jar");
    if (Files.exists(jar)) {
      return jar;
    }
    Path src = null;
    try {
      Files.createDirectories(CACHE);
      src = Files.createTempDirectory("leasehold-previous-");
      Path log = CACHE.resolve(commit + ".build.log");
      run(
          log,
          Path.of("").toAbsolutePath(),
          "bash",
          "-c",
          "git cat-file -e "
              + commit
              + "^{commit} && git archive --format=tar "
              + commit
              + " | tar -x -C "
              + src);
      String javaHome =
          Path.of(ProcessHandle.current().info().command().orElseThrow())
              .getParent()
              .getParent()
              .toString();
      run(
          log,
          src,
          "env",
          "JAVA_HOME=" + javaHome,
          "MAVEN_OPTS="
              + (Runtime.version().feature() >= 24 ? "--sun-misc-unsafe-memory-access=allow" : ""),
          "mvn",
          "-B",
          "-q",
          "-ntp",
          "-Dstyle.color=never",
          "-Dmaven.test.skip=true",
          "-Dspotless.check.skip=true",
          "package");
      try (DirectoryStream<Path> built =
          Files.newDirectoryStream(src.resolve("target"), "leasehold-*-all.jar")) {
        for (Path b : built) {
          // Whole or not at all: a run cut short leaves no half a jar for the next to use.
          Path part = CACHE.resolve(commit + ".jar.part");
          Files.copy(b, part, StandardCopyOption.REPLACE_EXISTING);
          Files.move(part, jar, StandardCopyOption.ATOMIC_MOVE);
          return jar;
        }
      }
      throw new IllegalStateException("the build of " + commit + " made no jar; see " + log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (src != null) {
        ProcessNamespace.delete(src);
      }
    }
  }

  /** Kills {@code p} and every process it started (Maven's JVM under its script). */
  private static void kill(Process p) {
    p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  private static void run(Path log, Path dir, String... command) throws IOException {
    Process p =
        new ProcessBuilder(List.of(command))
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    try {
      if (!p.waitFor(15, TimeUnit.MINUTES)) {
        kill(p);
        throw new IllegalStateException(String.join(" ", command) + " took over 15 minutes");
      }
    } catch (InterruptedException e) {
      kill(p); // the test timed out: no build left running on the machine
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          String.join(" ", command)
              + " failed ("
              + p.exitValue()
              + "):\n"
              + Files.readString(log)
              + "\n(the release before is built from the git history: a clone with it is needed)");
    }
  }
}
