package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's {@code --help}: exit 0, a usage on standard output, and nothing on standard error
 * (picocli prints its own warnings there, such as a description it cannot format).
 */
class HelpTest {
  @Test
  void everyCommandPrintsItsHelpCleanly() {
    List<List<String>> paths = new ArrayList<>();
    collect(Main.commandLine(), new ArrayList<>(), paths);
    assertThat(paths).as("commands found").hasSizeGreaterThan(10);
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      ByteArrayOutputStream stderr = new ByteArrayOutputStream();
      PrintStream saved = System.err;
      int code;
      System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
      try {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        code = cli.execute(args.toArray(String[]::new));
      } finally {
        System.setErr(saved);
      }
      String name = "leasehold " + String.join(" ", path) + " --help";
      assertThat(code).as(name).isZero();
      assertThat(out.toString()).as(name).contains("Usage: leasehold");
      assertThat(err.toString()).as(name).isEmpty();
      assertThat(stderr.toString(StandardCharsets.UTF_8)).as(name + " (picocli)").isEmpty();
    }
  }

  private static void collect(CommandLine cli, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    cli.getSubcommands()
        .forEach((name, sub) -> {
          if (sub.getCommandName().equals(name)) { // once per command, not per alias
            List<String> next = new ArrayList<>(path);
            next.add(name);
            collect(sub, next, out);
          }
        });
  }
}
