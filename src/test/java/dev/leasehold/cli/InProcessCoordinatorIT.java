package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.BuiltJar;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.JarProcess;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Ports;
import dev.leasehold.testkit.Scrape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The embedded default's site calls its own coordinator in process (docs/design.md, The coordinator
 * group): after the site has taken grants for writes and reads, no TCP connection leads to the
 * coordinator's client port, which stays open on loopback for {@code leasehold admin}. The check
 * reads the kernel's table of TCP connections, and is shown to see one when the test opens it.
 */
class InProcessCoordinatorIT {
  private static final Pattern ADMIN = Pattern.compile("^\\s+health\\s+(\\S+)/health/ready");

  /** The kernel's state number of an established TCP connection in /proc/net/tcp. */
  private static final String ESTABLISHED = "01";

  @Test
  void theEmbeddedSiteCallsItsCoordinatorThroughNoSocket(@TempDir Path dir) throws Exception {
    int coordinatorPort;
    try (Ports ports = Ports.reserve(1)) {
      coordinatorPort = ports.get(0);
    }
    try (JarProcess site =
        JarProcess.start(
            "serve",
            dir.resolve("serve.log"),
            Map.of(
                "LEASEHOLD_ACCESS_KEY", LocalCluster.CREDENTIALS.accessKey(),
                "LEASEHOLD_SECRET_KEY", LocalCluster.CREDENTIALS.secretKey()),
            "serve",
            "--data-dir=" + dir.resolve("data"),
            "--s3-port=0",
            "--admin-port=0",
            "--peer-port=0",
            "--coordinator-port=" + coordinatorPort)) {
      URI s3Endpoint = URI.create(site.await(BuiltJar.S3_ENDPOINT, Duration.ofSeconds(90)));
      URI admin = URI.create(site.await(ADMIN, Duration.ofSeconds(90)));
      byte[] body = Data.bytes(64 << 10, 3);
      try (S3Client s3 = Clients.s3(s3Endpoint, LocalCluster.CREDENTIALS)) {
        String bucket = Data.bucket(s3);
        for (int i = 0; i < 5; i++) {
          String key = "in-process-" + i;
          s3.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromBytes(body));
          assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asByteArray())
              .as(key)
              .isEqualTo(body);
        }
        // The site took its grants from the coordinator: WRITE for each put.
        Scrape metrics = Scrape.of(admin);
        assertThat(metrics.value("leasehold_lease_grants_total", "mode", "write"))
            .as("WRITE grants the site took")
            .isGreaterThanOrEqualTo(5);
        // ... through no socket to the coordinator's port.
        assertThat(established(coordinatorPort))
            .as("TCP connections to or from the coordinator's port %d", coordinatorPort)
            .isEmpty();
        // The check sees a connection there when one is open: the port listens, on loopback.
        try (Socket probe = new Socket(InetAddress.getLoopbackAddress(), coordinatorPort)) {
          Await.until(
              () -> !established(coordinatorPort).isEmpty(),
              Duration.ofSeconds(10),
              "the test's own connection to the coordinator's port shows");
        }
        // A final read of every key.
        for (int i = 0; i < 5; i++) {
          String key = "in-process-" + i;
          assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asByteArray())
              .as("%s, read again", key)
              .isEqualTo(body);
        }
      }
    }
  }

  /**
   * The established TCP connections (IPv4 and IPv6) with {@code port} at either end, as the kernel
   * lists them in /proc/net/tcp and /proc/net/tcp6: one line per end.
   */
  static List<String> established(int port) {
    String hexPort = String.format(":%04X", port);
    try {
      List<String> lines = new java.util.ArrayList<>();
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        Path p = Path.of(table);
        if (!Files.exists(p)) {
          continue;
        }
        for (String line : Files.readAllLines(p)) {
          String[] f = line.trim().split("\\s+");
          // sl local_address rem_address st ...
          if (f.length > 3
              && f[3].equals(ESTABLISHED)
              && (f[1].endsWith(hexPort) || f[2].endsWith(hexPort))) {
            lines.add(line.trim());
          }
        }
      }
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
