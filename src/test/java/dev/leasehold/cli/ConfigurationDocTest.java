package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code docs/configuration.md} documents every setting, with its flag, variable and default. */
class ConfigurationDocTest {
  @Test
  void everySettingIsDocumented() throws IOException {
    String doc = Files.readString(Path.of("docs/configuration.md"));
    for (Setting s : Setting.values()) {
      String row =
          doc.lines().filter(l -> l.startsWith("| `" + s.key() + "`")).findFirst().orElse("");
      assertThat(row).as("a table row for %s", s.key()).isNotEmpty();
      assertThat(row).contains("`--" + s.key() + "`");
      assertThat(row).contains("`" + s.environmentVariable() + "`");
      assertThat(row)
          .contains(s.defaultValue().isEmpty() ? "(see below)" : "`" + s.defaultValue() + "`");
    }
  }

  @Test
  void everySettingHasAFlag() {
    var serve = Main.commandLine().getSubcommands().get("serve").getCommandSpec();
    for (Setting s : Setting.values()) {
      assertThat(serve.findOption("--" + s.key())).as(s.key()).isNotNull();
    }
  }

  @Test
  void everyDocumentedSettingExists() throws IOException {
    String doc = Files.readString(Path.of("docs/configuration.md"));
    doc.lines()
        .filter(l -> l.startsWith("| `") && l.contains("`--"))
        .map(l -> l.substring(3, l.indexOf('`', 3)))
        .forEach(key -> assertThat(Setting.ofKey(key).key()).isEqualTo(key));
  }
}
