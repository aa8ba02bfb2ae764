package dev.leasehold.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jspecify.annotations.Nullable;

/**
 * async-profiler attached to a site's process for the measured reads only: {@link #resume} before
 * each, {@link #pause} after, and {@link #write} at the end puts everything sampled in between into
 * a flame graph ({@code .html}) and folded stacks ({@code .collapsed}, one line per stack, the
 * thread's name first). Asked for with {@code -Dbench.profile=<event>} ({@code cpu}, {@code wall},
 * {@code alloc}); the native library comes from the async-profiler jar on the bench's class path.
 * Confined to the bench's thread.
 */
final class SiteProfiler {
  /** The event to sample, or null when no profile was asked for. */
  static final @Nullable String EVENT = System.getProperty("bench.profile");

  private final long pid;
  private final Path library;
  private boolean started;

  private SiteProfiler(long pid, Path library) {
    this.pid = pid;
    this.library = library;
  }

  /** A profiler for the site's process, or null when none was asked for. */
  static @Nullable SiteProfiler of(SiteProcess site, Path work) throws IOException {
    return of(site.pid(), work);
  }

  /**
   * A profiler for this process (the benchmarks whose sites and coordinator peers run in the
   * bench's JVM), or null when none was asked for.
   */
  static @Nullable SiteProfiler ofThisProcess(Path work) throws IOException {
    return of(-1, work);
  }

  /** {@code pid} -1: this process, through async-profiler's Java API rather than an attach. */
  private static @Nullable SiteProfiler of(long pid, Path work) throws IOException {
    if (EVENT == null || EVENT.isBlank()) {
      return null;
    }
    Files.createDirectories(work);
    Path library = work.resolve("libasyncProfiler.so");
    try (InputStream in =
        SiteProfiler.class.getResourceAsStream("/linux-x64/libasyncProfiler.so")) {
      if (in == null) {
        throw new IOException("no async-profiler on the class path (a test dependency)");
      }
      Files.copy(in, library, StandardCopyOption.REPLACE_EXISTING);
    }
    return new SiteProfiler(pid, library);
  }

  /** Starts sampling, or goes on with the samples taken so far. */
  void resume() throws IOException {
    command(started ? "resume" : "start,event=" + EVENT + ",interval=1ms,threads");
    started = true;
  }

  void pause() throws IOException {
    command("stop");
  }

  /** Writes what was sampled to {@code <base>.html} and {@code <base>.collapsed}. */
  void write(Path base) throws IOException {
    for (String format : new String[] {"html", "collapsed"}) {
      command("resume");
      command("stop,file=" + base + "." + format + "," + format);
    }
    System.out.printf("  async-profiler (%s): %s.html, %s.collapsed%n", EVENT, base, base);
  }

  private void command(String options) throws IOException {
    if (pid == -1) {
      one.profiler.AsyncProfiler.getInstance(library.toString()).execute(options);
      return;
    }
    try {
      VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
      try {
        vm.loadAgentPath(library.toString(), options);
      } finally {
        vm.detach();
      }
    } catch (com.sun.tools.attach.AttachNotSupportedException
        | com.sun.tools.attach.AgentLoadException
        | com.sun.tools.attach.AgentInitializationException e) {
      throw new IOException("async-profiler " + options + " on pid " + pid + ": " + e, e);
    }
  }
}
