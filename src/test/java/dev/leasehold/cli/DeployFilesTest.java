package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What can be checked here of the packages under deploy/ (containers cannot be started on these
 * machines): every command line the systemd units, the image and the Kubernetes manifests run is
 * one `leasehold` accepts (each subcommand and option exists); every configuration they read is one
 * the command loads (every key a setting), at the paths the archive, the image and the mounts put
 * it; the units are hardened and keep their data in their StateDirectory; the manifests parse, and
 * every object they reference (ConfigMap, Secret and its keys, Service, volume, port) is one they
 * define.
 */
class DeployFilesTest {
  static final Path DEPLOY = Path.of("deploy");
  static final Path CONFIG = Path.of("src", "dist", "config");
  static final String LAUNCHER = "/opt/leasehold/bin/leasehold";

  @TempDir Path dir;

  /** Whether `leasehold ARGS` parses: its subcommand and every option exist. */
  private static void accepted(List<String> args) {
    assertThatCode(() -> Main.commandLine().parseArgs(args.toArray(String[]::new)))
        .as("leasehold %s", String.join(" ", args))
        .doesNotThrowAnyException();
  }

  /** The configuration file at {@code path} loads as the settings of {@code command}. */
  private void loads(String command, Path file) throws IOException {
    if (command.equals("serve")) {
      SiteConfig c = SiteConfig.load(file, Map.of(), Map.of());
      assertThat(c.secure()).as("%s has certificates (every link mutual TLS)", file).isTrue();
    } else {
      CommandLine.Model.CommandSpec spec =
          Main.commandLine().getSubcommands().get(command).getCommandSpec();
      List<String> options = ConfigFiles.asOptions(file, spec);
      assertThat(options).as("%s", file).isNotEmpty();
      accepted(Stream.concat(Stream.of(command), options.stream()).toList());
    }
  }

  /** The value of {@code key:} in a YAML configuration file. */
  private static String yamlValue(Path file, String key) throws IOException {
    return new ObjectMapper(new YAMLFactory()).readTree(file.toFile()).path(key).asText();
  }

  @Test
  void theSystemdUnitsRunCommandsThatExistAreHardenedAndKeepTheirDataInTheirStateDirectory()
      throws IOException {
    for (String unit : List.of("leasehold-site.service", "leasehold-coordinator.service")) {
      List<String> lines = Files.readAllLines(DEPLOY.resolve("systemd").resolve(unit));
      Map<String, String> keys = new HashMap<>();
      List<List<String>> commands = new ArrayList<>();
      for (String line : lines) {
        int eq = line.indexOf('=');
        if (line.startsWith("#") || eq < 0) {
          continue;
        }
        String key = line.substring(0, eq);
        String value = line.substring(eq + 1);
        keys.put(key, value);
        if (key.startsWith("Exec")) {
          commands.add(List.of(value.split(" ")));
        }
      }
      assertThat(keys)
          .as(unit)
          .containsEntry("NoNewPrivileges", "yes")
          .containsEntry("ProtectSystem", "strict")
          .containsEntry("User", "leasehold")
          .containsEntry("KillSignal", "SIGTERM")
          .containsKey("StateDirectory");
      assertThat(commands).as(unit).isNotEmpty();
      for (List<String> c : commands) {
        assertThat(c.get(0)).isEqualTo(LAUNCHER);
        List<String> args = c.subList(1, c.size());
        accepted(args);
        // The configuration it names is one the archive ships (installed as /etc/leasehold/X).
        int config = args.indexOf("--config");
        assertThat(config).as("%s reads its settings from a file", unit).isPositive();
        Path installed = Path.of(args.get(config + 1));
        assertThat(installed.getParent()).isEqualTo(Path.of("/etc/leasehold"));
        Path shipped = CONFIG.resolve(installed.getFileName());
        loads(args.get(0), shipped);
        // ProtectSystem=strict leaves only the StateDirectory writable: the data must be there.
        assertThat(yamlValue(shipped, "data-dir"))
            .isEqualTo("/var/lib/" + keys.get("StateDirectory"));
      }
      // The site's stop: more time than the drain.
      if (unit.contains("site")) {
        int stop = Integer.parseInt(keys.get("TimeoutStopSec"));
        assertThat(stop).isGreaterThan(30);
      }
    }
  }

  @Test
  void theImageRunsTheArchivesLauncherAsANonRootUserWithTheRuntimeOnly() throws IOException {
    List<String> lines = Files.readAllLines(DEPLOY.resolve("container").resolve("Containerfile"));
    String text = String.join("\n", lines);
    assertThat(text).containsPattern("(?m)^FROM \\S+-jre\\b");
    assertThat(text).containsPattern("(?m)^USER 10001");
    assertThat(text).contains("VOLUME [\"/var/lib/leasehold\"]");
    assertThat(text).contains("COPY leasehold-${VERSION}/ /opt/leasehold/");
    List<String> entrypoint = jsonArray(text, "ENTRYPOINT");
    List<String> cmd = jsonArray(text, "CMD \\[");
    assertThat(entrypoint).containsExactly(LAUNCHER);
    // The archive holds the launcher the entry point names.
    assertThat(Path.of("src/dist/bin/leasehold")).isExecutable();
    accepted(cmd);
    // CMD's configuration is the archive's config/, copied to /etc/leasehold.
    Path installed = Path.of(cmd.get(cmd.indexOf("--config") + 1));
    assertThat(text)
        .contains("COPY leasehold-${VERSION}/config/" + installed.getFileName() + " " + installed);
    loads("serve", CONFIG.resolve(installed.getFileName()));
    // The health check is a command that exists, against the admin port the site serves on.
    Matcher health = Pattern.compile("CMD (\\[.*\\])\\s*$", Pattern.MULTILINE).matcher(text);
    assertThat(health.find()).isTrue();
    List<String> check = List.of(new ObjectMapper().readValue(health.group(1), String[].class));
    assertThat(check.get(0)).isEqualTo(LAUNCHER);
    accepted(check.subList(1, check.size()));
    assertThat(check).contains("ready");
  }

  private static List<String> jsonArray(String text, String instruction) throws IOException {
    Matcher m =
        Pattern.compile("(?m)^" + instruction.replace(" \\[", "") + " (\\[.*\\])$").matcher(text);
    assertThat(m.find()).as(instruction).isTrue();
    return List.of(new ObjectMapper().readValue(m.group(1), String[].class));
  }

  @Test
  void theKubernetesManifestsParseAndReferenceOnlyWhatTheyDefine() throws IOException {
    List<JsonNode> objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(DEPLOY.resolve("kubernetes"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (MappingIterator<JsonNode> docs =
            new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class).readValues(f.toFile())) {
          while (docs.hasNext()) {
            JsonNode doc = docs.next();
            if (doc != null && !doc.isNull() && !doc.isEmpty()) {
              assertThat(doc.path("apiVersion").asText()).as("%s apiVersion", f).isNotEmpty();
              objects.add(doc);
            }
          }
        }
      }
    }
    Map<String, JsonNode> defined = new HashMap<>();
    for (JsonNode o : objects) {
      String id = o.path("kind").asText() + "/" + o.path("metadata").path("name").asText();
      assertThat(defined.put(id, o)).as("%s defined twice", id).isNull();
    }
    List<JsonNode> sets =
        objects.stream().filter(o -> o.path("kind").asText().equals("StatefulSet")).toList();
    assertThat(sets).hasSize(2);
    for (JsonNode set : sets) {
      String name = set.path("metadata").path("name").asText();
      JsonNode spec = set.path("spec");
      JsonNode service = defined.get("Service/" + spec.path("serviceName").asText());
      assertThat(service).as("%s's governing service", name).isNotNull();
      assertThat(service.path("spec").path("clusterIP").asText()).isEqualTo("None");
      JsonNode labels = spec.path("template").path("metadata").path("labels");
      assertThat(spec.path("selector").path("matchLabels")).isEqualTo(labels);
      JsonNode pod = spec.path("template").path("spec");
      Set<String> volumes = new HashSet<>();
      for (JsonNode v : pod.path("volumes")) {
        volumes.add(v.path("name").asText());
        if (v.has("configMap")) {
          assertThat(defined).containsKey("ConfigMap/" + v.path("configMap").path("name").asText());
        }
        if (v.has("secret")) {
          assertThat(defined).containsKey("Secret/" + v.path("secret").path("secretName").asText());
        }
      }
      for (JsonNode claim : spec.path("volumeClaimTemplates")) {
        volumes.add(claim.path("metadata").path("name").asText());
      }
      for (JsonNode container : pod.path("containers")) {
        Set<String> ports = new HashSet<>();
        for (JsonNode p : container.path("ports")) {
          ports.add(p.path("name").asText());
        }
        for (JsonNode m : container.path("volumeMounts")) {
          String volume = m.path("name").asText();
          assertThat(volumes).as("%s mounts %s", name, volume).contains(volume);
          if (m.has("subPath")) {
            JsonNode source = configMapOf(pod, volume, defined);
            String key = m.path("subPath").asText();
            assertThat(source.path("data").has(key)).as("%s in its ConfigMap", key).isTrue();
            Path file = dir.resolve(name + "-" + key);
            Files.writeString(file, source.path("data").path(key).asText());
            String mountedAt = m.path("mountPath").asText();
            assertThat(command(container)).contains(mountedAt);
            loads(command(container).get(0), file);
          }
        }
        for (JsonNode env : container.path("env")) {
          JsonNode ref = env.path("valueFrom").path("secretKeyRef");
          if (!ref.isMissingNode()) {
            JsonNode secret = defined.get("Secret/" + ref.path("name").asText());
            assertThat(secret).as("secret of %s", env.path("name").asText()).isNotNull();
            assertThat(secret.path("stringData").has(ref.path("key").asText())).isTrue();
          }
        }
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
          JsonNode p = container.path(probe);
          assertThat(p.isMissingNode()).as("%s has a %s", name, probe).isFalse();
          JsonNode port =
              p.has("httpGet") ? p.path("httpGet").path("port") : p.path("tcpSocket").path("port");
          assertThat(ports).as("%s %s port", name, probe).contains(port.asText());
          if (p.has("httpGet")) {
            assertThat(p.path("httpGet").path("path").asText())
                .isIn("/health/ready", "/health/live");
          }
        }
        accepted(command(container));
      }
    }
    // Every service and disruption budget selects the pods of one of the StatefulSets, and a
    // service's ports are ports those pods serve.
    for (JsonNode o : objects) {
      String kind = o.path("kind").asText();
      if (!kind.matches("Service|PodDisruptionBudget")) {
        continue;
      }
      JsonNode selector =
          kind.equals("Service")
              ? o.path("spec").path("selector")
              : o.path("spec").path("selector").path("matchLabels");
      JsonNode pod =
          sets.stream()
              .map(set -> set.path("spec").path("template"))
              .filter(t -> t.path("metadata").path("labels").equals(selector))
              .findFirst()
              .orElseThrow(() ->
                  new AssertionError(
                      kind
                          + " "
                          + o.path("metadata").path("name").asText()
                          + " selects no pods the manifests define: "
                          + selector));
      for (JsonNode port : o.path("spec").path("ports")) {
        assertThat(
                pod.path("spec").path("containers").get(0).path("ports").findValuesAsText("name"))
            .as("%s's target port", o.path("metadata").path("name").asText())
            .contains(port.path("targetPort").asText());
      }
    }
    // The site's peer port is reached by the governing service's stable names.
    JsonNode site = defined.get("StatefulSet/leasehold-site");
    assertThat(
            String.join(
                " ",
                command(site.path("spec").path("template").path("spec").path("containers").get(0))))
        .contains("--peer-advertise")
        .contains(site.path("spec").path("serviceName").asText());
  }

  private static JsonNode configMapOf(JsonNode pod, String volume, Map<String, JsonNode> defined) {
    for (JsonNode v : pod.path("volumes")) {
      if (v.path("name").asText().equals(volume)) {
        return defined.get("ConfigMap/" + v.path("configMap").path("name").asText());
      }
    }
    throw new AssertionError("no volume " + volume);
  }

  /**
   * The arguments of `leasehold` a container runs: its command, or the {@code exec} line of a
   * {@code sh -c} command with each shell expansion made a plain word.
   */
  private static List<String> command(JsonNode container) {
    List<String> c = new ArrayList<>();
    container.path("command").forEach(n -> c.add(n.asText()));
    if (c.size() == 3 && c.get(0).equals("/bin/sh") && c.get(1).equals("-c")) {
      String script = c.get(2);
      assertThat(script).startsWith("exec " + LAUNCHER + " ");
      String expanded =
          script.substring(("exec " + LAUNCHER + " ").length()).replaceAll("\\$\\{[^}]*}", "0");
      return List.of(expanded.split(" "));
    }
    assertThat(c.get(0)).isEqualTo(LAUNCHER);
    return c.subList(1, c.size());
  }
}
