package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.RecordingOrigin.Call;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The admin API and {@code leasehold admin}: authenticated by the site's token; sites, cache and
 * lease views; a warm-up that leaves a prefix cached (so reads of it make no origin call) with its
 * progress; an eviction that drops it again.
 */
class AdminIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int MIB = 1024 * 1024;

  record Answer(int status, JsonNode body) {}

  @Test
  void theApiAnswersOnlyWithTheTokenAndWarmsAndEvictsAPrefix() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(2).start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      for (int i = 0; i < 3; i++) {
        int n = i;
        a.putObject(
            p -> p.bucket(bucket).key("warm/" + n),
            RequestBody.fromBytes(Data.bytes(MIB + MIB / 2, n))); // two chunks each
      }
      a.putObject(p -> p.bucket(bucket).key("cold"), RequestBody.fromString("not warmed"));
      URI admin = cluster.site(1).adminEndpoint();
      String token = cluster.site(1).adminToken();

      assertThat(call(admin, "GET", "cache", null).status()).isEqualTo(401);
      assertThat(call(admin, "GET", "cache", "wrong").status()).isEqualTo(401);
      Answer missing = call(admin, "GET", "lease?bucket=" + bucket, token);
      assertThat(missing.status()).isEqualTo(400);
      assertThat(missing.body().path("message").asText()).contains("key");

      Answer sites = call(admin, "GET", "sites", token);
      assertThat(sites.status()).isEqualTo(200);
      assertThat(sites.body().path("sites").findValuesAsText("site"))
          .containsExactly("site-0", "site-1");
      String leader = sites.body().path("coordinator").path("leader").asText();
      assertThat(leader).isNotEmpty();
      assertThat(sites.body().path("coordinator").path("peers").path(leader).asText())
          .isEqualTo(sites.body().path("coordinator").path("leaderAddress").asText())
          .isNotEmpty();

      JsonNode buckets = call(admin, "GET", "buckets", token).body().path("buckets");
      assertThat(buckets.findValuesAsText("bucket")).contains(bucket);
      assertThat(buckets.get(0).path("origin").asText()).isEqualTo(cluster.origin(1).describe());
      assertThat(buckets.get(0).path("writeMode").asText()).isEqualTo("write-through");

      // Warm the prefix at site 1 with the CLI, which follows the job to the end.
      StringWriter out = new StringWriter();
      CommandLine cli = dev.leasehold.cli.Main.commandLine();
      cli.setOut(new PrintWriter(out));
      int exit =
          cli.execute(
              "admin", "--url", admin.toString(), "--token", token, "warm", bucket, "warm/");
      assertThat(exit).as(out.toString()).isZero();
      assertThat(out.toString()).contains("[####################] 100% 3/3 objects, 4.5/4.5 MiB");

      long reads = cluster.origin(1).count(Call.READ);
      for (int i = 0; i < 3; i++) {
        int n = i;
        assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("warm/" + n)).asByteArray())
            .isEqualTo(Data.bytes(MIB + MIB / 2, n));
      }
      assertThat(cluster.origin(1).count(Call.READ)).isEqualTo(reads); // all from the cache
      Answer lease = call(admin, "GET", "lease?bucket=" + bucket + "&key=warm/0", token);
      assertThat(lease.body().path("held").asBoolean()).isTrue();
      assertThat(lease.body().path("size").asLong()).isEqualTo(MIB + MIB / 2);
      assertThat(call(admin, "GET", "cache", token).body().path("chunks").asLong()).isEqualTo(6);

      // The coordinator's table: each warmed object is held by both sites (A wrote, B read).
      JsonNode table =
          call(admin, "GET", "leases?bucket=" + bucket + "&prefix=warm/", token).body();
      assertThat(table.path("elements").findValuesAsText("key"))
          .containsExactly("warm/0", "warm/1", "warm/2");
      for (JsonNode e : table.path("elements")) {
        assertThat(e.path("readers").toString()).contains("site-0").contains("site-1");
        assertThat(e.path("writer").asText()).isEmpty();
        assertThat(e.path("known").asBoolean()).isTrue();
      }

      // Pinned, they are listed; the CLI unpins.
      assertThat(call(admin, "POST", "pin?bucket=" + bucket + "&prefix=warm/", token).status())
          .isEqualTo(200);
      JsonNode cache = call(admin, "GET", "cache", token).body();
      assertThat(cache.path("pinnedBytes").asLong()).isEqualTo(3 * (MIB + MIB / 2));
      assertThat(cache.path("pins").get(0).path("prefix").asText()).isEqualTo("warm/");
      StringWriter unpinned = new StringWriter();
      CommandLine unpin = dev.leasehold.cli.Main.commandLine();
      unpin.setOut(new PrintWriter(unpinned));
      assertThat(
              unpin.execute(
                  "admin", "--url", admin.toString(), "--token", token, "unpin", bucket, "warm/"))
          .isZero();
      assertThat(JSON.readTree(unpinned.toString()).path("wasPinned").asBoolean()).isTrue();
      assertThat(call(admin, "GET", "cache", token).body().path("pinnedBytes").asLong()).isZero();

      Answer evicted = call(admin, "POST", "evict?bucket=" + bucket + "&prefix=warm/", token);
      assertThat(evicted.body().path("evictedChunks").asLong()).isEqualTo(6);
      assertThat(call(admin, "GET", "cache", token).body().path("chunks").asLong()).isZero();
      b.getObjectAsBytes(g -> g.bucket(bucket).key("warm/0"));
      // Read again from the origin: both chunks of it in one ranged read (a run).
      assertThat(cluster.origin(1).count(Call.READ)).isEqualTo(reads + 1);
    }
  }

  @Test
  void writeModePrefixLeasesAndDeclaringASiteLost() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(2).start();
        S3Client a = cluster.client(0)) {
      String bucket = Data.bucket(a);
      URI admin = cluster.site(0).adminEndpoint();
      String token = cluster.site(0).adminToken();
      Answer bad = call(admin, "POST", "write-mode?bucket=" + bucket + "&mode=sometimes", token);
      assertThat(bad.status()).isEqualTo(400);
      assertThat(bad.body().path("message").asText()).contains("write-back or write-through");
      assertThat(
              call(
                      admin,
                      "POST",
                      "write-mode?bucket=" + bucket + "&mode=write-back&policy=x",
                      token)
                  .status())
          .isEqualTo(400);
      // A prefix lease only in a write-back bucket.
      assertThat(
              call(admin, "POST", "prefix-lease?bucket=" + bucket + "&prefix=p/", token).status())
          .isEqualTo(400);

      Answer set =
          call(
              admin,
              "POST",
              "write-mode?bucket=" + bucket + "&mode=write-back&policy=redirect",
              token);
      assertThat(set.status()).isEqualTo(200);
      JsonNode listed = null;
      for (JsonNode b : call(admin, "GET", "buckets", token).body().path("buckets")) {
        if (b.path("bucket").asText().equals(bucket)) {
          listed = b;
        }
      }
      assertThat(listed).isNotNull();
      assertThat(listed.path("writeMode").asText()).isEqualTo("write-back");
      assertThat(listed.path("policy").asText()).isEqualTo("redirect");

      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() ->
              call(admin, "POST", "prefix-lease?bucket=" + bucket + "&prefix=p/", token).status()
                  == 200);
      a.putObject(p -> p.bucket(bucket).key("p/one"), RequestBody.fromString("1"));
      assertThat(cluster.site(0).leases().prefix(bucket, "p/")).isNotNull();
      Answer back = call(admin, "POST", "prefix-release?bucket=" + bucket + "&prefix=p/", token);
      assertThat(back.body().path("wasHeld").asBoolean()).isTrue();
      assertThat(cluster.site(0).leases().prefix(bucket, "p/")).isNull();
      assertThat(cluster.backdoor().head(bucket, "p/one").size()).isEqualTo(1);

      Answer lost = call(admin, "POST", "declare-lost?site=nowhere", token);
      assertThat(lost.status()).isEqualTo(200);
      assertThat(lost.body().path("lost").size()).isZero();
    }
  }

  static Answer call(URI admin, String method, String path, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(admin.resolve("/admin/v1/" + path))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), JSON.readTree(r.body()));
    }
  }
}
