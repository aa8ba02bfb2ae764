package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.BuiltJar;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.JarProcess;
import dev.leasehold.testkit.LocalCluster;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The owner of acknowledged, unflushed writes is killed with SIGKILL (the built jar, as its own
 * process): reads of those keys at another site answer 503, never the older version at the origin,
 * and after the owner starts again on its data directory every acknowledged write is readable there
 * and at the origin.
 */
class WriteBackKillIT {
  static final int KEYS = 20;

  /**
   * A site process over the cluster's coordinator and origin; its output beside its data directory.
   */
  static JarProcess start(Path dataDir, LocalCluster cluster) {
    return JarProcess.start(
        "site-killed",
        dataDir.resolveSibling(dataDir.getFileName() + ".log"),
        Map.of(
            "LEASEHOLD_ACCESS_KEY", LocalCluster.CREDENTIALS.accessKey(),
            "LEASEHOLD_SECRET_KEY", LocalCluster.CREDENTIALS.secretKey()),
        "serve",
        "--data-dir=" + dataDir,
        "--s3-port=0",
        "--admin-port=0",
        "--peer-port=0",
        "--site=site-killed",
        "--coordinator=" + cluster.coordinators().get(0).clientAddress(),
        "--origin=" + cluster.root().resolve("origin").toUri(),
        "--flush-delay=1h");
  }

  static URI s3(JarProcess site) {
    return URI.create(site.await(BuiltJar.S3_ENDPOINT, Duration.ofSeconds(90)));
  }

  @Test
  void acknowledgedUnflushedPutsSurviveAKillOfTheOwner(@TempDir Path dir) throws Exception {
    try (LocalCluster cluster =
            LocalCluster.builder().sites(1).coordinators(1).ttl(WriteBackIT.TTL).start();
        S3Client b = cluster.client(0)) {
      String bucket = Data.bucket(b);
      for (int i = 0; i < KEYS; i++) {
        String key = "k" + i;
        b.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString("old " + key));
      }
      cluster.site(0).leases().admin().setWriteMode(bucket, true, "recall");
      try (JarProcess owner = start(dir.resolve("owner"), cluster)) {
        try (S3Client a = Clients.s3(s3(owner), LocalCluster.CREDENTIALS)) {
          // Wait until a put at the owner is write-back (it stays off the origin).
          Awaitility.await()
              .atMost(Duration.ofSeconds(20))
              .pollInterval(Duration.ofMillis(200))
              .ignoreExceptions() // 503 until the new process has its session
              .until(() -> {
                String body = "probe " + System.nanoTime();
                a.putObject(p -> p.bucket(bucket).key("probe"), RequestBody.fromString(body));
                return !Data.md5Hex(body.getBytes(StandardCharsets.UTF_8))
                    .equals(WriteBackIT.atOrigin(cluster.backdoor(), bucket, "probe"));
              });
          for (int i = 0; i < KEYS; i++) {
            String key = "k" + i;
            a.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString("new " + key));
          }
        }
        owner.kill(); // SIGKILL: no shutdown hook, nothing flushed (checked dead)
        assertThat(WriteBackIT.atOrigin(cluster.backdoor(), bucket, "k0"))
            .isEqualTo(Data.md5Hex("old k0".getBytes(StandardCharsets.UTF_8)));

        // Owner down: 503 at the other site, never the older version the origin still has.
        for (int i = 0; i < 3; i++) {
          String key = "k" + i;
          assertThat(WriteBackIT.sdkFailure(() -> WriteBackIT.get(b, bucket, key)).statusCode())
              .isEqualTo(503);
        }

        owner.startAgain(); // on its data directory: its journal is there
        URI again = s3(owner);
        for (int i = 0; i < KEYS; i++) {
          String key = "k" + i;
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .ignoreExceptions()
              .until(() -> WriteBackIT.get(b, bucket, key).equals("new " + key));
        }
        try (S3Client a = Clients.s3(again, LocalCluster.CREDENTIALS)) {
          assertThat(WriteBackIT.get(a, bucket, "k7")).isEqualTo("new k7");
        }
        assertThat(WriteBackIT.atOrigin(cluster.backdoor(), bucket, "k0"))
            .isEqualTo(Data.md5Hex("new k0".getBytes(StandardCharsets.UTF_8)));
        owner.stop();
      }
    }
  }
}
