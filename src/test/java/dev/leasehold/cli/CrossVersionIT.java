package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.AdminCli;
import dev.leasehold.testkit.BuiltJar;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.JarProcess;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Ports;
import dev.leasehold.testkit.PreviousRelease;
import dev.leasehold.testkit.Scrape;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Upgrades across one version (docs/operations.md, Upgrading): the jar of the release before
 * ({@link PreviousRelease}, built from the git history) beside this build's, as processes on
 * loopback over one directory origin. A site of the release before works with a coordinator of this
 * one and a site of this one (each reads what the other wrote, and a write at one recalls the
 * other's lease), and the write-back journal it leaves behind when killed is recovered and flushed
 * by this release on the same data directory. The reverse: a site of this release works with a
 * coordinator of the release before, and at its graceful stop leaves its session to expire, as the
 * older coordinator has no EndSession.
 */
class CrossVersionIT {
  private static final Pattern CLIENT_ADDRESS = Pattern.compile("^\\s+client address\\s+(\\S+)");
  private static final Pattern HEALTH = Pattern.compile("^\\s+health\\s+(\\S+)/health/ready");
  private static final Duration START = Duration.ofSeconds(90);

  @TempDir Path dir;
  private final List<JarProcess> processes = new ArrayList<>();

  @AfterEach
  void stopAll() {
    processes.forEach(JarProcess::close);
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void aSiteOfTheReleaseBeforeWorksWithThisCoordinatorAndThisReleaseRecoversItsJournal()
      throws Exception {
    Path previous = PreviousRelease.jar();
    String coordinator = coordinator(null);
    Site old = site("old", previous, coordinator, "--flush-delay=1h");
    Site current = site("current", null, coordinator);
    String bucket;
    try (S3Client a = old.client();
        S3Client b = current.client()) {
      bucket = Data.bucket(a);
      exchange(a, b, bucket);

      // Write-back at the old site: acknowledged versions only in its journal, then a crash.
      String writeBack = Data.bucket(b);
      Map.Entry<Integer, String> mode =
          AdminCli.run(old.admin, old.dataDir, null, "write-mode", writeBack, "write-back");
      assertThat(mode.getKey()).as(mode.getValue()).isZero();
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(300))
          .until(() -> {
            a.putObject(
                r -> r.bucket(writeBack).key("probe"),
                RequestBody.fromString("p" + System.nanoTime()));
            return Scrape.of(old.admin).value("leasehold_journal_entries") > 0;
          });
      for (int i = 0; i < 5; i++) {
        String key = "k" + i;
        a.putObject(r -> r.bucket(writeBack).key(key), RequestBody.fromString("acked " + key));
      }
      double unflushed = Scrape.of(old.admin).value("leasehold_journal_entries");
      assertThat(unflushed).as("versions in the old site's journal").isGreaterThanOrEqualTo(5);
      old.process.kill(); // SIGKILL, checked dead: the journal is all there is of them
      assertThat(old.process.isAlive()).isFalse();

      // This release on the same data directory: it reclaims and flushes the old journal.
      Site upgraded = site("old", null, coordinator, old.dataDir);
      try (S3Client c = upgraded.client()) {
        for (int i = 0; i < 5; i++) {
          String key = "k" + i;
          for (S3Client s : List.of(b, c)) {
            Awaitility.await()
                .atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() ->
                    s.getObjectAsBytes(r -> r.bucket(writeBack).key(key))
                        .asUtf8String()
                        .equals("acked " + key));
          }
        }
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> Scrape.of(upgraded.admin).value("leasehold_journal_entries") == 0);
        exchange(c, b, bucket);
      }
    }
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void aSiteOfThisReleaseWorksWithTheCoordinatorOfTheReleaseBefore() throws Exception {
    Path previous = PreviousRelease.jar();
    String coordinator = coordinator(previous);
    Site current = site("current", null, coordinator);
    Site old = site("old", previous, coordinator);
    try (S3Client a = current.client();
        S3Client b = old.client()) {
      String bucket = Data.bucket(a);
      exchange(a, b, bucket);
      exchange(b, a, bucket);
    }
    // A graceful stop, without the EndSession the older coordinator does not know.
    current.process.terminate();
    assertThat(current.process.awaitExit()).as(current.process.tail(30)).isZero();
    assertThat(String.join("\n", current.process.lines()))
        .contains("without EndSession")
        .contains("stopped");
    try (S3Client b = old.client()) {
      assertThat(b.listBuckets().buckets()).isNotEmpty();
    }
  }

  /**
   * A write at {@code a} read at {@code b}, then a write at {@code b} (recalling {@code a}'s lease)
   * read at {@code a}.
   */
  private static void exchange(S3Client a, S3Client b, String bucket) {
    String key = "shared-" + System.nanoTime();
    a.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromString("from a"));
    assertThat(b.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asUtf8String())
        .isEqualTo("from a");
    assertThat(a.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asUtf8String())
        .isEqualTo("from a");
    b.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromString("from b"));
    assertThat(a.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asUtf8String())
        .isEqualTo("from b");
  }

  /** A lone coordinator peer of {@code jar} (null: this build); its client address. */
  private String coordinator(@Nullable Path jar) {
    int raft;
    int client;
    try (Ports ports = Ports.reserve(2)) {
      raft = ports.get(0);
      client = ports.get(1);
    }
    String[] args = {
      "coordinator",
      "--id=c1",
      "--data-dir=" + dir.resolve("c1"),
      "--port=" + client,
      "--peers=c1=127.0.0.1:" + raft,
      "--bind=127.0.0.1",
      "--ttl=3s"
    };
    Path log = dir.resolve("c1.log");
    JarProcess p =
        jar == null
            ? JarProcess.start("c1", log, Map.of(), args)
            : JarProcess.startJar("c1", jar, log, Map.of(), args);
    processes.add(p);
    return p.await(CLIENT_ADDRESS, START);
  }

  /** A started site and where to reach it. */
  private record Site(JarProcess process, URI s3, URI admin, Path dataDir) {
    S3Client client() {
      return Clients.s3(s3, LocalCluster.CREDENTIALS);
    }
  }

  private Site site(String name, @Nullable Path jar, String coordinator, String... flags)
      throws Exception {
    return site(name, jar, coordinator, dir.resolve(name), flags);
  }

  /** A site of {@code jar} (null: this build) on {@code dataDir}; returns once it is ready. */
  private Site site(
      String name, @Nullable Path jar, String coordinator, Path dataDir, String... flags)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "serve",
                "--site=" + name,
                "--coordinator=" + coordinator,
                "--data-dir=" + dataDir,
                "--s3-port=0",
                "--admin-port=0",
                "--peer-port=0",
                "--origin=" + dir.resolve("origin").toUri()));
    args.addAll(List.of(flags));
    Map<String, String> env =
        Map.of(
            "LEASEHOLD_ACCESS_KEY", LocalCluster.CREDENTIALS.accessKey(),
            "LEASEHOLD_SECRET_KEY", LocalCluster.CREDENTIALS.secretKey());
    Path log = dir.resolve(name + "-" + processes.size() + ".log");
    String[] a = args.toArray(String[]::new);
    JarProcess p =
        jar == null
            ? JarProcess.start(name, log, env, a)
            : JarProcess.startJar(name, jar, log, env, a);
    processes.add(p);
    URI s3 = URI.create(p.await(BuiltJar.S3_ENDPOINT, START));
    URI admin = URI.create(p.await(HEALTH, START));
    try (HttpClient http = HttpClient.newHttpClient()) {
      Awaitility.await()
          .atMost(START)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() ->
              http.send(
                          HttpRequest.newBuilder(admin.resolve("/health/ready")).build(),
                          HttpResponse.BodyHandlers.discarding())
                      .statusCode()
                  == 200);
    }
    return new Site(p, s3, admin, dataDir);
  }
}
