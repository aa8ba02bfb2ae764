package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Scrape;
import java.net.URI;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * {@code /metrics} after a scripted workload at two sites: every counter moved by exactly what the
 * workload did (requests, cache, origin, leases, recalls), and the gauges are there.
 */
class MetricsIT {
  static final int SIZE = 4096;

  @Test
  void countersMoveByWhatTheWorkloadDid() throws InterruptedException {
    try (LocalCluster cluster = LocalCluster.builder().sites(2).start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      String bucket = Data.bucket(a);
      URI adminA = cluster.site(0).adminEndpoint();
      URI adminB = cluster.site(1).adminEndpoint();
      Scrape a0 = Scrape.of(adminA);
      Scrape b0 = Scrape.of(adminB);

      byte[] body = Data.bytes(SIZE, 1);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromBytes(body));
      for (int i = 0; i < 3; i++) {
        a.getObjectAsBytes(g -> g.bucket(bucket).key("k")); // the written bytes are cached
      }
      assertThatThrownBy(() -> a.getObject(g -> g.bucket(bucket).key("missing")))
          .isInstanceOf(NoSuchKeyException.class);
      b.getObjectAsBytes(g -> g.bucket(bucket).key("k")); // a miss: one chunk from the origin
      b.getObjectAsBytes(g -> g.bucket(bucket).key("k")); // a hit
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromBytes(body)); // recalls B

      // A request is counted just after its response is sent: wait for the last ones.
      Scrape a1 = settled(adminA, a0, 6);
      Scrape b1 = settled(adminB, b0, 2);
      assertThat(delta(a0, a1, "leasehold_s3_requests_total", "operation", "PutObject"))
          .isEqualTo(2);
      assertThat(
              delta(
                  a0, a1, "leasehold_s3_requests_total", "operation", "GetObject", "status", "200"))
          .isEqualTo(3);
      assertThat(
              delta(
                  a0, a1, "leasehold_s3_requests_total", "operation", "GetObject", "status", "404"))
          .isEqualTo(1);
      assertThat(
              delta(
                  a0, a1, "leasehold_s3_request_duration_seconds_count", "operation", "GetObject"))
          .isEqualTo(4);
      assertThat(delta(b0, b1, "leasehold_s3_requests_total", "operation", "GetObject"))
          .isEqualTo(2);

      // Cache: A served its written bytes three times; B missed once, then hit.
      assertThat(delta(a0, a1, "leasehold_cache_bytes_total", "source", "cache"))
          .isEqualTo(3 * SIZE);
      assertThat(delta(a0, a1, "leasehold_cache_bytes_total", "source", "origin")).isZero();
      assertThat(delta(b0, b1, "leasehold_cache_bytes_total", "source", "origin")).isEqualTo(SIZE);
      assertThat(delta(b0, b1, "leasehold_cache_bytes_total", "source", "cache")).isEqualTo(SIZE);
      assertThat(delta(b0, b1, "leasehold_cache_requests_total", "result", "miss")).isEqualTo(1);
      assertThat(delta(b0, b1, "leasehold_cache_requests_total", "result", "hit")).isEqualTo(1);
      assertThat(delta(a0, a1, "leasehold_origin_egress_saved_bytes_total")).isEqualTo(3 * SIZE);
      assertThat(delta(a0, a1, "leasehold_origin_egress_saved_cost_dollars_total"))
          .isCloseTo(3 * SIZE / 1e9 * 0.09, org.assertj.core.data.Offset.offset(1e-12));

      // Origin: A wrote twice; B read one chunk, asked for beside its grant, whose own headers
      // confirmed the version the grant named: no HEAD (docs/protocol.md, Reads).
      assertThat(delta(a0, a1, "leasehold_origin_requests_total", "operation", "put")).isEqualTo(2);
      assertThat(delta(a0, a1, "leasehold_origin_bytes_total", "direction", "out"))
          .isEqualTo(2 * SIZE);
      assertThat(delta(b0, b1, "leasehold_origin_requests_total", "operation", "read"))
          .isEqualTo(1);
      assertThat(delta(b0, b1, "leasehold_origin_requests_total", "operation", "head")).isZero();
      assertThat(delta(b0, b1, "leasehold_origin_bytes_total", "direction", "in")).isEqualTo(SIZE);

      // Leases: A took WRITE twice, and READ for the missing key; B took READ once and gave it
      // back when A's second put recalled it.
      assertThat(delta(a0, a1, "leasehold_lease_grants_total", "mode", "write")).isEqualTo(2);
      assertThat(delta(a0, a1, "leasehold_lease_grants_total", "mode", "read")).isEqualTo(1);
      assertThat(delta(b0, b1, "leasehold_lease_grants_total", "mode", "read")).isEqualTo(1);
      assertThat(delta(b0, b1, "leasehold_lease_recalls_total")).isEqualTo(1);
      // A's second put wrote the origin while B's READ was being recalled.
      assertThat(delta(a0, a1, "leasehold_lease_writes_overlapped_total")).isEqualTo(1);
      assertThat(delta(b0, b1, "leasehold_lease_releases_total")).isEqualTo(1);

      // Gauges.
      assertThat(b1.value("leasehold_session_valid")).isEqualTo(1);
      assertThat(b1.value("leasehold_session_remaining_seconds")).isPositive();
      assertThat(b1.value("leasehold_coordinator_reachable")).isEqualTo(1);
      assertThat(b1.value("leasehold_cache_size_bytes")).isEqualTo(SIZE);
      assertThat(b1.value("leasehold_cache_budget_bytes")).isPositive();
      assertThat(a1.has("jvm_memory_used_bytes")).isTrue();
      assertThat(a1.has("jvm_compilation_time_ms_total")).isTrue();
      assertThat(a1.has("netty_allocator_memory_used")).isTrue();
    }
  }

  @Test
  void aCoordinatorPeerReportsLeadershipAndTheRaftLog() {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).coordinators(0).start();
        S3Client a = cluster.client(0)) {
      Data.bucket(a);
      Scrape s = Scrape.of(cluster.site(0).adminEndpoint());
      assertThat(s.value("leasehold_coordinator_leader", "peer", "embedded")).isEqualTo(1);
      assertThat(s.value("leasehold_raft_commit_index")).isPositive();
      assertThat(s.value("leasehold_raft_applied_index")).isPositive();
      assertThat(s.value("leasehold_coordinator_sessions")).isEqualTo(1);
    }
  }

  /** A scrape once {@code requests} more S3 requests than {@code before} are counted. */
  static Scrape settled(URI admin, Scrape before, int requests) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    Scrape now = Scrape.of(admin);
    while (delta(before, now, "leasehold_s3_requests_total") < requests
        && System.nanoTime() - deadline < 0) {
      Thread.sleep(20);
      now = Scrape.of(admin);
    }
    return now;
  }

  static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.value(name, labels) - before.value(name, labels);
  }
}
