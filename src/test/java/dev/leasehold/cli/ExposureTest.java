package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Plain listening is for loopback only: without certificates a site or peer refuses a non-loopback
 * address unless told --insecure. 192.0.2.1 (TEST-NET-1, RFC 5737) is refused before anything is
 * bound, so nothing is sent to it.
 */
class ExposureTest {
  @TempDir Path dir;

  @Test
  void loopbackAddressesArePlainAnywhereElseNeedsCertificates() {
    for (String loopback : new String[] {"127.0.0.1", "127.0.0.2", "localhost", "::1"}) {
      assertThatCode(() -> Exposure.check("serve", Map.of("bind", loopback), false, false))
          .as(loopback)
          .doesNotThrowAnyException();
    }
    assertThatThrownBy(() -> Exposure.check("serve", Map.of("bind", "192.0.2.1"), false, false))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--certs-dir")
        .hasMessageContaining("--insecure");
    assertThatCode(() -> Exposure.check("serve", Map.of("bind", "192.0.2.1"), true, false))
        .doesNotThrowAnyException();
  }

  @Test
  void serveAndCoordinatorRefuseToStartOnAnotherAddressWithoutCertificates() {
    String[][] commands = {
      {"serve", "--data-dir=" + dir.resolve("site"), "--bind=192.0.2.1"},
      {"serve", "--data-dir=" + dir.resolve("site"), "--admin-bind=192.0.2.1"},
      {
        "coordinator",
        "--id=c1",
        "--data-dir=" + dir.resolve("c1"),
        "--port=7000",
        "--peers=c1=192.0.2.1:7100"
      }
    };
    for (String[] args : commands) {
      StringWriter err = new StringWriter();
      CommandLine cli = Main.commandLine();
      cli.setErr(new PrintWriter(err));
      int code = cli.execute(args);
      assertThat(code).as(String.join(" ", args)).isEqualTo(2);
      assertThat(err.toString())
          .contains("192.0.2.1")
          .contains("is not a loopback address")
          .contains("--certs-dir")
          .contains("--insecure");
    }
  }
}
