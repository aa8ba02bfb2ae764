package dev.leasehold;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A clone carries its own design: every relative link in {@code README.md} and {@code docs/*.md}
 * resolves to a file inside the repository (and to a heading there, when it names one), and every
 * document a source comment cites exists in the repository, with the section it names.
 */
class DocsTest {
  static final Path ROOT = Path.of("").toAbsolutePath();

  /** A Markdown link or image: {@code [text](target)}. */
  static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

  /** A document named in a comment, with the section after it: {@code docs/protocol.md, Leases}. */
  static final Pattern CITATION =
      Pattern.compile("(?<![\\w./-])((?:[\\w.-]+/)*[\\w-]+\\.md)\\b(?:, ([A-Z][A-Za-z]*))?");

  /** Where comments are: a Javadoc or block line, a line comment, a shell or YAML comment. */
  static final Pattern COMMENT = Pattern.compile("^\\s*(\\*|/\\*|//|#)|\\s//\\s");

  static final Set<String> SOURCE_SUFFIXES =
      Set.of(".java", ".proto", ".sh", ".xml", ".yml", ".yaml", ".properties");

  @Test
  void everyRelativeLinkInTheDocsResolvesInsideTheRepository() throws IOException {
    List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
    }
    assertThat(documents)
        .contains(ROOT.resolve("docs/design.md"), ROOT.resolve("docs/protocol.md"));
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path doc : documents) {
      for (String target : links(Files.readString(doc))) {
        checked++;
        String problem = brokenLink(doc, target);
        if (problem != null) {
          broken.add(ROOT.relativize(doc) + ": " + target + " (" + problem + ")");
        }
      }
    }
    assertThat(checked).as("relative links found").isGreaterThan(10);
    assertThat(broken).isEmpty();
  }

  @Test
  void everyDocumentASourceCommentCitesExistsWithItsSection() throws IOException {
    List<String> missing = new ArrayList<>();
    int checked = 0;
    for (Path file : sources()) {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (!COMMENT.matcher(line).find()) {
          continue;
        }
        Matcher m = CITATION.matcher(line);
        while (m.find()) {
          checked++;
          String problem = brokenCitation(m.group(1), m.group(2));
          if (problem != null) {
            missing.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + m.group() + " " + problem);
          }
        }
      }
    }
    assertThat(checked).as("citations found").isGreaterThan(20);
    assertThat(missing).isEmpty();
  }

  @Test
  void theChecksSeeWhatIsBroken() {
    Path design = ROOT.resolve("docs/design.md");
    assertThat(brokenLink(design, "protocol.md")).isNull();
    assertThat(brokenLink(design, "protocol.md#sessions")).isNull();
    assertThat(brokenLink(design, "../../shared/design/PROTOCOL.md")).contains("outside");
    assertThat(brokenLink(design, "missing.md")).contains("no such file");
    assertThat(brokenLink(design, "protocol.md#no-such-heading")).contains("no heading");
    assertThat(brokenLink(design, "https://ratis.apache.org/")).isNull();
    assertThat(brokenCitation("docs/protocol.md", "Sessions")).isNull();
    assertThat(brokenCitation("PROTOCOL.md", "Sessions")).contains("no such document");
    assertThat(brokenCitation("docs/protocol.md", "Elsewhere")).contains("no section");
    assertThat(COMMENT.matcher("    out.println(\"s3 cp README.md s3://demo/\");").find())
        .isFalse();
  }

  static List<String> links(String markdown) {
    List<String> out = new ArrayList<>();
    Matcher m = LINK.matcher(markdown);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** Why a link in {@code doc} does not resolve inside the repository, or null if it does. */
  static String brokenLink(Path doc, String target) {
    if (target.matches("^[a-z][a-z0-9+.-]*:.*")) {
      return null; // https:, mailto:: not a file of this repository
    }
    String path = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
    String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
    Path resolved = path.isEmpty() ? doc : doc.getParent().resolve(path).normalize();
    if (!resolved.startsWith(ROOT)) {
      return "outside the repository";
    }
    if (!Files.exists(resolved)) {
      return "no such file";
    }
    if (anchor != null && resolved.toString().endsWith(".md")) {
      if (!anchors(resolved).contains(anchor)) {
        return "no heading #" + anchor;
      }
    }
    return null;
  }

  /** Why a cited document or section is not in the repository, or null if it is. */
  static String brokenCitation(String document, String section) {
    Path path =
        document.contains("/") ? ROOT.resolve(document).normalize() : ROOT.resolve(document);
    if (!path.startsWith(ROOT) || !Files.exists(path)) {
      return "cites no such document in the repository";
    }
    if (section != null && headings(path).stream().noneMatch(h -> h.startsWith(section))) {
      return "names no section of " + document;
    }
    return null;
  }

  static List<String> headings(Path markdown) {
    try {
      return Files.readAllLines(markdown).stream()
          .filter(l -> l.startsWith("#"))
          .map(l -> l.replaceFirst("^#+\\s*", ""))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The anchors GitHub makes of a document's headings. */
  static Set<String> anchors(Path markdown) {
    return headings(markdown).stream()
        .map(h -> h.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'))
        .collect(Collectors.toSet());
  }

  static List<Path> sources() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String dir : List.of("src", "bench", "scripts", ".ci", "deploy")) {
      Path d = ROOT.resolve(dir);
      if (!Files.isDirectory(d)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(d)) {
        files
            .filter(Files::isRegularFile)
            .filter(p ->
                SOURCE_SUFFIXES.stream().anyMatch(s -> p.toString().endsWith(s))
                    || !p.getFileName().toString().contains(".")) // scripts: .ci/run
            .forEach(out::add);
      }
    }
    out.add(ROOT.resolve("pom.xml"));
    out.add(ROOT.resolve("leasehold"));
    assertThat(out).hasSizeGreaterThan(100);
    return out;
  }
}
