package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteConfigTest {
  @TempDir Path dir;

  @Test
  void defaults() {
    SiteConfig c = SiteConfig.load(null, Map.of(), Map.of());
    assertThat(c.dataDir()).isEqualTo(Path.of("leasehold-data").toAbsolutePath());
    assertThat(c.bind()).isEqualTo("127.0.0.1");
    assertThat(c.adminBind()).isEqualTo("127.0.0.1");
    assertThat(c.s3Port()).isEqualTo(9000);
    assertThat(c.adminPort()).isEqualTo(9001);
    assertThat(c.cacheSize()).isEqualTo(10L << 30);
    assertThat(c.chunkSize()).isEqualTo(4L << 20);
    assertThat(c.originUri()).isEqualTo(c.dataDir().resolve("origin").toUri().toString());
    assertThat(c.domains()).containsExactly("localhost");
    assertThat(c.maxClockSkew()).isEqualTo(Duration.ofMinutes(15));
  }

  @Test
  void flagsOverEnvironmentOverFileOverDefaults() throws Exception {
    Path file = dir.resolve("leasehold.yaml");
    Files.writeString(
        file,
        "s3-port: 9100\nadmin-port: 9101\ncache-size: 1GiB\ndomains: [s3.local, localhost]\nregion: eu-west-3\n");
    SiteConfig c =
        SiteConfig.load(
            file,
            Map.of("LEASEHOLD_S3_PORT", "9200", "LEASEHOLD_CHUNK_SIZE", "1MiB"),
            Map.of(Setting.S3_PORT, "9300"));
    assertThat(c.s3Port()).isEqualTo(9300);
    assertThat(c.adminPort()).isEqualTo(9101);
    assertThat(c.cacheSize()).isEqualTo(1L << 30);
    assertThat(c.chunkSize()).isEqualTo(1L << 20);
    assertThat(c.domains()).containsExactly("s3.local", "localhost");
    assertThat(c.region()).isEqualTo("eu-west-3");
  }

  @Test
  void sizesAndDurations() {
    assertThat(Values.size("k", "4096")).isEqualTo(4096);
    assertThat(Values.size("k", "10GiB")).isEqualTo(10L << 30);
    assertThat(Values.size("k", "10 GB")).isEqualTo(10_000_000_000L);
    assertThat(Values.size("k", "512k")).isEqualTo(512L << 10);
    assertThat(Values.duration("k", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Values.duration("k", "2h")).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void badValuesNameTheirSetting() throws Exception {
    assertError(Map.of(Setting.CACHE_SIZE, "lots"), "cache-size: 'lots' is not a size");
    assertError(Map.of(Setting.S3_PORT, "70000"), "s3-port: '70000' is not a port");
    assertError(Map.of(Setting.CHUNK_SIZE, "1KiB"), "chunk-size: must be between");
    assertError(Map.of(Setting.CACHE_SIZE, "1MiB"), "cache-size: must hold at least one chunk");
    assertError(Map.of(Setting.BODY_TIMEOUT, "soon"), "body-timeout: 'soon' is not a duration");
    assertError(
        Map.of(Setting.ORIGIN, "ftp://x"), "origin: 'ftp://x' must start with file: or s3:");
    assertError(
        Map.of(Setting.PEER_ADVERTISE, "https://a:1"),
        "peer-advertise: 'https://a:1' must be host:port");
    assertError(Map.of(Setting.PEER_ADVERTISE, "site-a"), "peer-advertise: 'site-a' must be");
    assertThat(
            SiteConfig.load(
                    null, Map.of("LEASEHOLD_PEER_ADVERTISE", "site-a.example:7002"), Map.of())
                .peerAdvertise())
        .isEqualTo("site-a.example:7002");
    assertThat(
            SiteConfig.load(null, Map.of(), Map.of(Setting.PEER_ADVERTISE, "[::1]:9002"))
                .peerAdvertise())
        .isEqualTo("[::1]:9002");
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "cache-sise: 1GiB\n");
    assertThatThrownBy(() -> SiteConfig.load(file, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("cache-sise: is not a setting");
  }

  @Test
  void s3OriginsNeedAnEndpointAndKeys() {
    assertThatThrownBy(() -> OriginSpec.s3Settings("s3://?region=us-east-1", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("endpoint");
    assertThatThrownBy(() -> OriginSpec.s3Settings("s3://?endpoint=http://127.0.0.1:9", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LEASEHOLD_ORIGIN_ACCESS_KEY");
    var s =
        OriginSpec.s3Settings(
            "s3://?endpoint=http://127.0.0.1:9&region=eu-west-1&path-style=false",
            Map.of("LEASEHOLD_ORIGIN_ACCESS_KEY", "a", "LEASEHOLD_ORIGIN_SECRET_KEY", "b"));
    assertThat(s.endpoint().toString()).isEqualTo("http://127.0.0.1:9");
    assertThat(s.region()).isEqualTo("eu-west-1");
    assertThat(s.pathStyle()).isFalse();
    assertThat(s.toString()).doesNotContain("b]").doesNotContain("secret");
  }

  private static void assertError(Map<Setting, String> flags, String message) {
    assertThatThrownBy(() -> SiteConfig.load(null, Map.of(), flags))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(message);
  }
}
