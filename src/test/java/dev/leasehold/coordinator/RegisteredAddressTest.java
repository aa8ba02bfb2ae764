package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What a site may register as its admin endpoint or peer port: {@code http(s)://host:port}. */
class RegisteredAddressTest {
  @Test
  void aSchemeAHostAndAPortAndNothingElse() {
    for (String ok :
        new String[] {
          "", "http://127.0.0.1:9001", "https://paris.example:9002", "http://[::1]:9001"
        }) {
      assertThatCode(() -> CoordinatorService.requireEndpoint("address", ok))
          .as(ok)
          .doesNotThrowAnyException();
    }
    for (String bad :
        new String[] {
          "http://127.0.0.1:9001/internal?x=",
          "http://127.0.0.1:9001/",
          "http://127.0.0.1:9001?x=1",
          "http://127.0.0.1:9001#f",
          "http://user:pw@127.0.0.1:9001",
          "http://127.0.0.1",
          "ftp://127.0.0.1:21",
          "file:///etc/passwd",
          "127.0.0.1:9001",
          "http://exa mple:1"
        }) {
      assertThatThrownBy(() -> CoordinatorService.requireEndpoint("address", bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("address");
    }
  }
}
