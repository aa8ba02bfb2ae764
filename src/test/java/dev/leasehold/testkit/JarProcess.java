package dev.leasehold.testkit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One Leasehold process from the built jar ({@link BuiltJar}), as an operator runs it: its output
 * goes to a log file (never a pipe the test must drain, so nothing blocks on a full pipe or a read
 * with no end), it can be stopped with SIGTERM or killed with SIGKILL, each checked to have ended
 * the process, and started again with the same command line.
 *
 * <p>Not thread-safe: one test thread starts, restarts and closes it; {@link #log()} may be read
 * from any thread.
 */
public final class JarProcess implements AutoCloseable {
  /** More than a site's drain-timeout (30 s) and the steps of its stop after it. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final List<String> command;
  private final Map<String, String> env;
  private final Path log;

  /** Where stderr goes, if not into {@link #log} with stdout. */
  private final @Nullable Path errors;

  private @Nullable Process process;

  /** Where this incarnation's output starts in the log file. */
  private long logStart;

  private JarProcess(
      String name, List<String> args, Map<String, String> env, Path log, @Nullable Path errors) {
    this(name, quick(BuiltJar.command(args.toArray(String[]::new))), env, log, errors, true);
  }

  /**
   * {@code command} with the JIT compiler's first tier only ({@code -XX:TieredStopAtLevel=1}): the
   * processes of a test live for seconds to minutes, and the second tier's compiles were most of
   * their CPU. On two cores shared by three peers, three sites and the test, a restarted process
   * took 11 to 22 s to print its banner (2.3 s alone); a start costs 2.6 CPU-seconds instead of 3.8
   * this way. Tests only: the benchmarks run the JVM as a user does ({@code BuiltJar.command}).
   */
  private static List<String> quick(List<String> command) {
    List<String> quick = new java.util.ArrayList<>(command);
    quick.add(1, "-XX:TieredStopAtLevel=1");
    return quick;
  }

  private JarProcess(
      String name,
      List<String> command,
      Map<String, String> env,
      Path log,
      @Nullable Path errors,
      boolean unused) {
    this.name = name;
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.log = log;
    this.errors = errors;
  }

  /** Starts {@code leasehold ARGS} with {@code env} added, its output appended to {@code log}. */
  public static JarProcess start(String name, Path log, Map<String, String> env, String... args) {
    JarProcess p = new JarProcess(name, List.of(args), env, log, null);
    p.startAgain();
    return p;
  }

  /**
   * Starts {@code leasehold ARGS} of another build, {@code jar} (the release before, for the
   * cross-version tests), with {@code env} added and its output appended to {@code log}.
   */
  public static JarProcess startJar(
      String name, Path jar, Path log, Map<String, String> env, String... args) {
    JarProcess p = new JarProcess(name, quick(BuiltJar.commandOf(jar, args)), env, log, null, true);
    p.startAgain();
    return p;
  }

  /**
   * The same, with stdout in {@code log} (what {@link #await} reads) and stderr, the logs, apart in
   * {@code errors}: for a test that reads every log line as it was written.
   */
  public static JarProcess start(
      String name, Path log, Path errors, Map<String, String> env, String... args) {
    JarProcess p = new JarProcess(name, List.of(args), env, log, errors);
    p.startAgain();
    return p;
  }

  /** Starts the process again with the same command line (after {@link #stop} or {@link #kill}). */
  public void startAgain() {
    if (isAlive()) {
      throw new IllegalStateException(name + " is still running");
    }
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      logStart = Files.exists(log) ? Files.size(log) : 0;
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      if (errors == null) {
        builder.redirectErrorStream(true);
      } else {
        builder.redirectError(ProcessBuilder.Redirect.appendTo(errors.toFile()));
      }
      builder.environment().putAll(env);
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /**
   * Waits until this incarnation prints a line matching {@code pattern}, and returns the line's
   * first group (or the whole line when the pattern has none).
   *
   * @throws IllegalStateException if the process exits first, or {@code timeout} passes
   */
  public String await(Pattern pattern, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (String line : lines()) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m.groupCount() > 0 ? m.group(1) : line;
        }
      }
      if (!isAlive()) {
        throw new IllegalStateException(
            name + " exited (" + exitCode() + ") before printing /" + pattern + "/:\n" + tail(40));
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            name + " did not print /" + pattern + "/ within " + timeout + ":\n" + tail(40));
      }
      sleep(50);
    }
  }

  /**
   * The threads of {@code p}: SIGQUIT makes a JVM print them to its own output (the log), even
   * while its shutdown hooks run, when the attach mechanism {@code jcmd} uses may be gone.
   */
  private String threadDump(Process p) {
    long before = logSize();
    try {
      Process quit = new ProcessBuilder("kill", "-QUIT", Long.toString(p.pid())).start();
      quit.waitFor(10, TimeUnit.SECONDS);
      sleep(2000); // the dump is written by the JVM's own signal thread
    } catch (IOException e) {
      return "(" + name + ": no thread dump: " + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(" + name + ": no thread dump: interrupted)";
    }
    return name + " threads:\n" + since(before);
  }

  private long logSize() {
    try {
      return Files.exists(log) ? Files.size(log) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** What the log gained since it was {@code size} bytes long (at most 1 MiB). */
  private String since(long size) {
    try {
      return readFrom(size, 1 << 20);
    } catch (IOException e) {
      return "(" + name + ": " + e + ")";
    }
  }

  /** The log from byte {@code offset}, at most {@code most} bytes of it. */
  private String readFrom(long offset, int most) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      byte[] bytes = new byte[(int) Math.min(Math.max(0, f.length() - offset), most)];
      f.seek(offset);
      f.readFully(bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  /** SIGTERM, as an operator stops a service; returns once the process has exited. */
  public void stop() {
    Process p = running();
    p.destroy();
    awaitExit(p, "SIGTERM");
  }

  /** SIGTERM, and returns at once ({@link #awaitExit} waits for the end). */
  public void terminate() {
    running().destroy();
  }

  /** Waits for the process to end after {@link #terminate}; its exit code. */
  public int awaitExit() {
    Process p = process;
    if (p == null) {
      throw new IllegalStateException(name + " never ran");
    }
    awaitExit(p, "SIGTERM");
    return p.exitValue();
  }

  /** SIGKILL: no shutdown hook runs; returns once the process is dead. */
  public void kill() {
    Process p = running();
    p.destroyForcibly();
    awaitExit(p, "SIGKILL");
  }

  private void awaitExit(Process p, String signal) {
    try {
      // What keeps it running is taken before the deadline: a process may end while a late look
      // at it starts.
      long early = STOP_TIMEOUT.toMillis() * 2 / 3;
      String threads = "";
      String lastLines = "";
      if (!p.waitFor(early, TimeUnit.MILLISECONDS)) {
        lastLines = tail(40);
        threads = threadDump(p);
      }
      boolean ended = p.waitFor(STOP_TIMEOUT.toMillis() - early, TimeUnit.MILLISECONDS);
      if (ended && !threads.isEmpty()) {
        System.out.printf("%s took over %d ms to end after %s: %s%n", name, early, signal, threads);
      }
      if (!ended) {
        p.destroyForcibly();
        p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        throw new IllegalStateException(
            name
                + " was still running "
                + STOP_TIMEOUT
                + " after "
                + signal
                + ":\n"
                + lastLines
                + "\n"
                + threads);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping " + name, e);
    }
    if (ProcessHandle.of(p.pid()).map(ProcessHandle::isAlive).orElse(false)) {
      throw new IllegalStateException(name + " (pid " + p.pid() + ") is alive after " + signal);
    }
  }

  private Process running() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      throw new IllegalStateException(name + " is not running");
    }
    return p;
  }

  public boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  public long pid() {
    return running().pid();
  }

  /** The process's exit code, once it has exited. */
  public int exitValue() {
    Process p = process;
    if (p == null || p.isAlive()) {
      throw new IllegalStateException(name + " has not exited");
    }
    return p.exitValue();
  }

  private String exitCode() {
    Process p = process;
    return p == null || p.isAlive() ? "running" : "exit code " + p.exitValue();
  }

  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  /** The lines this incarnation has printed so far. */
  public List<String> lines() {
    if (!Files.exists(log)) {
      return List.of();
    }
    try {
      String text = readFrom(logStart, 16 << 20);
      int end = text.lastIndexOf('\n');
      // A line still being written is left for the next look: a pattern must not match half a URL.
      return end < 0 ? List.of() : text.substring(0, end).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last {@code n} lines of the whole log (every incarnation), for a failure message. */
  public String tail(int n) {
    if (!Files.exists(log)) {
      return "(" + name + ": no output)";
    }
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      List<String> last = new ArrayList<>(all.subList(Math.max(0, all.size() - n), all.size()));
      last.replaceAll(l -> name + "| " + l);
      return String.join("\n", last);
    } catch (IOException e) {
      return "(" + name + ": " + e + ")";
    }
  }

  /** Kills the process (and any it started) if it still runs; never throws. */
  @Override
  public void close() {
    Process p = process;
    if (p != null && p.isAlive()) {
      p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      try {
        p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
