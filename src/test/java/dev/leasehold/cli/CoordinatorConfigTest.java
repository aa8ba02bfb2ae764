package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code leasehold coordinator --config FILE} (docs/configuration.md, Coordinator peers): the
 * file's keys are the command's long options, the command line wins over the file, and a key that
 * is no option, a missing required setting or a bad flag value is a configuration error (exit 2)
 * that names it. Each case stops before any port is opened.
 */
class CoordinatorConfigTest {
  @TempDir Path dir;

  private Map.Entry<Integer, String> run(String yaml, String... more) throws Exception {
    Path file = dir.resolve("coordinator.yaml");
    Files.writeString(file, yaml);
    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(out));
    String[] args = new String[more.length + 3];
    args[0] = "coordinator";
    args[1] = "--config";
    args[2] = file.toString();
    System.arraycopy(more, 0, args, 3, more.length);
    return Map.entry(cli.execute(args), out.toString());
  }

  @Test
  void theFilesSettingsAreOptionsAndTheCommandLineWins() throws Exception {
    String yaml = "id: c1\ndata-dir: " + dir.resolve("c1") + "\nport: 0\npeers: [c1=127.0.0.1:1]\n";
    // From the file alone, id c1 is among the peers; the command line's id replaces it.
    Map.Entry<Integer, String> r = run(yaml, "--id", "c7");
    assertThat(r.getKey()).as(r.getValue()).isEqualTo(2);
    assertThat(r.getValue()).contains("'c7' is not among --peers [c1]");
  }

  @Test
  void anUnknownKeyAMissingSettingAndABadFlagAreConfigurationErrors() throws Exception {
    Map.Entry<Integer, String> unknown = run("id: c1\npeerz: [c1=127.0.0.1:1]\n");
    assertThat(unknown.getKey()).isEqualTo(2);
    assertThat(unknown.getValue()).contains("peerz").contains("is not a setting");

    Map.Entry<Integer, String> missing = run("id: c1\nport: 0\npeers: c1=127.0.0.1:1\n");
    assertThat(missing.getKey()).isEqualTo(2);
    assertThat(missing.getValue()).contains("data-dir").contains("is required");

    Map.Entry<Integer, String> flag = run("join: sometimes\n");
    assertThat(flag.getKey()).isEqualTo(2);
    assertThat(flag.getValue()).contains("join").contains("true or false");
  }
}
