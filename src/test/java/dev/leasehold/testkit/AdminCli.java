package dev.leasehold.testkit;

import dev.leasehold.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;

/**
 * {@code leasehold admin ARGS} as an operator runs it against a site's admin endpoint, in this JVM:
 * the site's stored token from its data directory, and the namespace's authority trusted when there
 * is one. Stateless.
 */
public final class AdminCli {
  private AdminCli() {}

  /**
   * Runs it against the admin endpoint {@code admin} of the site on {@code dataDir}; its exit code
   * and output (also printed, for the test's log).
   *
   * @param certs the namespace's certificates directory, null for a plain endpoint
   */
  public static Map.Entry<Integer, String> run(
      URI admin, Path dataDir, @Nullable Path certs, String... args) {
    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(out));
    List<String> all = new ArrayList<>(List.of("admin", "--url", admin.toString()));
    if (certs != null) {
      all.addAll(List.of("--certs-dir", certs.toString()));
    }
    all.addAll(List.of("--data-dir", dataDir.toString()));
    all.addAll(List.of(args));
    int exit = cli.execute(all.toArray(String[]::new));
    System.out.printf("admin %s: exit %d%n%s%n", String.join(" ", args), exit, out);
    return Map.entry(exit, out.toString());
  }
}
