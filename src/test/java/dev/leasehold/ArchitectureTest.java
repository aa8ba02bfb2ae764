package dev.leasehold;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the arrows of docs/architecture.md true: which package may use which, read from every
 * reference to {@code dev.leasehold.<package>} in the main sources (imports and qualified names
 * alike). {@code error} and {@code object} are the shared vocabulary every package may use.
 */
class ArchitectureTest {
  static final Set<String> SHARED = Set.of("error", "object");

  static final Map<String, Set<String>> ALLOWED =
      Map.ofEntries(
          Map.entry("error", Set.of()),
          Map.entry("object", Set.of()),
          Map.entry("protocol", Set.of()),
          Map.entry("cache", Set.of()),
          Map.entry("origin", Set.of()),
          Map.entry("telemetry", Set.of()),
          Map.entry("tls", Set.of()),
          Map.entry("lease", Set.of("protocol", "tls")),
          Map.entry("coordinator", Set.of("protocol", "tls")),
          Map.entry("peer", Set.of("tls")),
          Map.entry("flush", Set.of("origin", "lease")),
          Map.entry("site", Set.of("lease", "cache", "origin", "flush", "peer")),
          Map.entry("s3", Set.of("site", "cache", "telemetry")),
          Map.entry("cli", Set.of("*")));

  static final Pattern REFERENCE = Pattern.compile("\\bdev\\.leasehold\\.([a-z0-9]+)\\.");

  @Test
  void packagesUseOnlyWhatTheArchitectureAllows() throws IOException {
    Path main = Path.of("src/main/java/dev/leasehold");
    List<String> violations = new ArrayList<>();
    List<String> packages = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(main)) {
      dirs.filter(Files::isDirectory).forEach(d -> packages.add(d.getFileName().toString()));
    }
    assertThat(packages).isNotEmpty();
    for (String pkg : packages) {
      assertThat(ALLOWED).as("package %s must be placed in the architecture", pkg).containsKey(pkg);
      Set<String> allowed = ALLOWED.get(pkg);
      try (Stream<Path> files = Files.walk(main.resolve(pkg))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Matcher m = REFERENCE.matcher(Files.readString(f));
          while (m.find()) {
            String used = m.group(1);
            if (!used.equals(pkg)
                && !SHARED.contains(used)
                && !allowed.contains("*")
                && !allowed.contains(used)) {
              violations.add(f + " uses " + used);
            }
          }
        }
      }
    }
    assertThat(violations).isEmpty();
  }

  /** HTTP libraries: the site serves S3 through {@code s3} and other sites through {@code peer}. */
  static final Pattern HTTP_TYPES =
      Pattern.compile("\\b(com\\.sun\\.net\\.httpserver|java\\.net\\.http|io\\.netty)\\.");

  /** What only the site-to-site wire speaks: its paths and its headers. */
  static final Pattern PEER_WIRE = Pattern.compile("/peer/v1|X-Leasehold-(Request|Reply)");

  @Test
  void siteHasNoHttpTypes() throws IOException {
    assertThat(matches(Path.of("src/main/java/dev/leasehold/site"), HTTP_TYPES)).isEmpty();
  }

  @Test
  void onlyPeerSpeaksTheSiteToSiteWire() throws IOException {
    Path main = Path.of("src/main/java/dev/leasehold");
    List<String> outside = new ArrayList<>();
    for (String f : matches(main, PEER_WIRE)) {
      if (!f.startsWith(main.resolve("peer").toString())) {
        outside.add(f);
      }
    }
    assertThat(outside).isEmpty();
    assertThat(matches(main.resolve("peer"), PEER_WIRE)).isNotEmpty();
  }

  /** Every main file under {@code dir} in which {@code pattern} occurs. */
  private static List<String> matches(Path dir, Pattern pattern) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        if (pattern.matcher(Files.readString(f)).find()) {
          out.add(f.toString());
        }
      }
    }
    return out;
  }

  @Test
  void theCheckSeesAViolation() {
    Matcher m = REFERENCE.matcher("import dev.leasehold.site.Gateway;");
    assertThat(m.find()).isTrue();
    assertThat(m.group(1)).isEqualTo("site");
    assertThat(ALLOWED.get("origin")).doesNotContain("site");
    assertThat(HTTP_TYPES.matcher("import com.sun.net.httpserver.HttpExchange;").find()).isTrue();
    assertThat(HTTP_TYPES.matcher("import java.net.http.HttpClient;").find()).isTrue();
    assertThat(PEER_WIRE.matcher("ex.getRequestHeaders().getFirst(\"X-Leasehold-Reply\")").find())
        .isTrue();
  }
}
