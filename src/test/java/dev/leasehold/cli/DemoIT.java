package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.s3.Credentials;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.CoordinatorStatus;
import dev.leasehold.testkit.JarProcess;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code leasehold demo} from the built jar: six processes (3 coordinator peers, 3 sites) over one
 * directory origin; a write at one site is read at another, also after a peer is killed; stopping
 * the demo stops every process.
 */
class DemoIT {
  private static final Pattern SITE = Pattern.compile("^\\s+(site\\d)\\s+S3 (\\S+)\\s.*pid (\\d+)");
  private static final Pattern PEER =
      Pattern.compile("^\\s+(c\\d)\\s+client (\\S+)\\s.*pid (\\d+)");

  @Test
  void startsSixProcessesThatServeOneNamespaceAndStopsThemAll(@TempDir Path dir) throws Exception {
    Map<String, URI> sites = new HashMap<>();
    Map<String, Long> pids = new HashMap<>();
    Map<String, String> peerClients = new HashMap<>();
    try (JarProcess demo =
        JarProcess.start(
            "demo",
            dir.resolve("demo.log"),
            Map.of(),
            "demo",
            "--data-dir=" + dir,
            "--base-port=0")) {
      try {
        demo.await(Pattern.compile("^(Stop with Ctrl-C)"), Duration.ofMinutes(4));
      } catch (IllegalStateException e) {
        throw new AssertionError("the demo did not start; logs:\n" + logs(dir), e);
      }
      String accessKey = null;
      String secretKey = null;
      for (String line : demo.lines()) {
        Matcher site = SITE.matcher(line);
        Matcher peer = PEER.matcher(line);
        if (site.find()) {
          sites.put(site.group(1), URI.create(site.group(2)));
          pids.put(site.group(1), Long.parseLong(site.group(3)));
        } else if (peer.find()) {
          pids.put(peer.group(1), Long.parseLong(peer.group(3)));
          peerClients.put(peer.group(1), peer.group(2));
        } else if (line.startsWith("  access key ")) {
          accessKey = line.substring("  access key ".length()).trim();
        } else if (line.startsWith("  secret key ")) {
          secretKey = line.substring("  secret key ".length()).trim();
        }
      }
      assertThat(sites).as("demo output:\n%s", String.join("\n", demo.lines())).hasSize(3);
      // Every internal link is mutual TLS of the demo's own authority: a peer answers the
      // operator's certificate and refuses a plain call.
      String c2 = peerClients.get("c2");
      assertThat(
              CoordinatorStatus.of(
                      c2,
                      Duration.ofSeconds(10),
                      NodeCertificates.load(dir.resolve("certs"), "operator"))
                  .getLeaderId())
          .isNotEmpty();
      assertThatThrownBy(() -> CoordinatorStatus.of(c2, Duration.ofSeconds(10)))
          .isInstanceOf(io.grpc.StatusRuntimeException.class);
      assertThat(demo.lines())
          .anySatisfy(l ->
              assertThat(l)
                  .contains("mutual TLS")
                  .contains(dir.resolve("certs/ca.crt").toString()));
      for (String name : List.of("c1", "c2", "c3", "site1", "site2", "site3")) {
        assertThat(dir.resolve("certs/" + name + ".key")).exists();
        assertThat(Files.readString(dir.resolve("logs/" + name + ".log"), StandardCharsets.UTF_8))
            .doesNotContain("INSECURE");
      }
      assertThat(pids).hasSize(6);
      assertThat(pids.values())
          .doesNotHaveDuplicates()
          .doesNotContain(ProcessHandle.current().pid());
      Credentials credentials = new Credentials(accessKey, secretKey);
      // S3 is HTTPS with the demo's certificates: clients trust its authority, as --ca-bundle.
      assertThat(sites.get("site1").getScheme()).isEqualTo("https");
      Clients.trust(dir.resolve("certs/ca.crt"));
      try (S3Client one = Clients.s3(sites.get("site1"), credentials);
          S3Client two = Clients.s3(sites.get("site2"), credentials);
          S3Client three = Clients.s3(sites.get("site3"), credentials)) {
        one.createBucket(b -> b.bucket("demo"));
        one.putObject(p -> p.bucket("demo").key("k"), RequestBody.fromString("from site1"));
        assertThat(two.getObjectAsBytes(g -> g.bucket("demo").key("k")).asUtf8String())
            .isEqualTo("from site1");

        ProcessHandle c1 = ProcessHandle.of(pids.get("c1")).orElseThrow();
        c1.destroyForcibly();
        assertThat(c1.onExit().get(30, TimeUnit.SECONDS).isAlive()).as("c1 killed").isFalse();
        putEventually(three, "from site3");
        assertThat(one.getObjectAsBytes(g -> g.bucket("demo").key("k")).asUtf8String())
            .isEqualTo("from site3");
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError("demo failed; logs:\n" + logs(dir), e);
      }
      assertThat(Files.readString(dir.resolve("origin/demo/k/.object"), StandardCharsets.UTF_8))
          .isNotEmpty();
      demo.stop(); // SIGTERM: it stops every process it started
    } finally {
      for (long pid : pids.values()) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // a test that failed
      }
    }
    for (long pid : pids.values()) {
      ProcessHandle.of(pid)
          .ifPresent(p -> {
            try {
              p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
              throw new AssertionError("process " + pid + " did not exit", e);
            }
          });
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }
  }

  /** A put right after a peer dies may meet an election: retry it for a while. */
  private static void putEventually(S3Client s3, String value) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        s3.putObject(p -> p.bucket("demo").key("k"), RequestBody.fromString(value));
        return;
      } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
        assertThat(e.statusCode()).isEqualTo(503);
        assertThat(System.nanoTime() - deadline).isNegative();
        Thread.sleep(200);
      }
    }
  }

  /** The last lines of every process's log, for a failure message. */
  private static String logs(Path dir) throws IOException {
    StringBuilder out = new StringBuilder();
    try (DirectoryStream<Path> logs = Files.newDirectoryStream(dir.resolve("logs"))) {
      for (Path log : logs) {
        List<String> lines = Files.readAllLines(log);
        out.append("== ").append(log.getFileName()).append('\n');
        lines
            .subList(Math.max(0, lines.size() - 15), lines.size())
            .forEach(l -> out.append(l).append('\n'));
      }
    }
    return out.toString();
  }
}
