package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.StatusReply;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.ProcessNamespace;
import dev.leasehold.testkit.SteadyLoad;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Replacing a coordinator peer's machine, as docs/operations.md tells an operator to: a namespace
 * of real processes (three peers that snapshot every 200 entries and drop the log behind, two sites
 * over S3Proxy) under steady load; the leader is killed (SIGKILL, checked dead); a new peer starts
 * on a new data directory and new ports with {@code --join}; {@code leasehold admin coordinator}
 * adds it, removes the dead one, and moves the leadership to it. The new peer caught up from a
 * snapshot; no client operation failed; no site went longer without a successful operation than a
 * session's TTL (one election, not an expiry); nothing acknowledged before is lost.
 */
class PeerReplacementIT {
  static final Duration TTL = Duration.ofSeconds(10);
  static final int KEYS = 20;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void aKilledPeersMachineIsReplacedWithNoLossAndNoPauseBeyondOneElection() throws Exception {
    try (ProcessNamespace ns = ProcessNamespace.start(3, 2, TTL, "--snapshot-every=200")) {
      String bucket;
      try (S3Client s3 = ns.client(0)) {
        bucket = Data.bucket(s3);
        for (int i = 0; i < KEYS; i++) {
          String key = "before-" + i;
          s3.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString("value " + key));
        }
      }
      long[] failedBefore = new long[2];
      try (SteadyLoad load = SteadyLoad.start(ns, 2, bucket, Duration.ofMinutes(6))) {
        // Enough entries for a snapshot and a dropped log segment before the new peer arrives.
        while (ns.appliedIndex(0) < 1500 || load.succeeded(0) < 50 || load.succeeded(1) < 50) {
          Thread.sleep(200);
        }
        for (int s = 0; s < 2; s++) {
          failedBefore[s] = load.failed(s);
        }

        int dead = ns.leader(Duration.ofSeconds(10));
        String deadId = "c" + (dead + 1);
        ns.killPeer(dead);
        assertThat(ns.peer(dead).isAlive()).as("the killed peer's process").isFalse();

        int fresh = ns.addJoiningPeer();
        String freshId = "c" + (fresh + 1);
        Map.Entry<Integer, String> added =
            ns.admin(0, "coordinator", "add-peer", freshId, ns.peerRaftAddress(fresh));
        assertThat(added.getKey())
            .as("%s\n%s\n%s", added.getValue(), ns.peer(fresh).tail(60), ns.logs())
            .isZero();
        assertThat(added.getValue()).contains(freshId, deadId);

        Map.Entry<Integer, String> removed = ns.admin(1, "coordinator", "remove-peer", deadId);
        assertThat(removed.getKey()).as(removed.getValue()).isZero();
        assertThat(removed.getValue()).contains(freshId).doesNotContain(deadId);

        Map.Entry<Integer, String> moved = ns.admin(0, "coordinator", "transfer-leader", freshId);
        assertThat(moved.getKey()).as(moved.getValue()).isZero();
        assertThat(ns.leader(Duration.ofSeconds(10))).isEqualTo(fresh);

        // The new peer has the group's whole table, from a snapshot the leader sent.
        assertThat(String.join("\n", ns.peer(fresh).lines()))
            .as("the new peer's log")
            .contains("loaded the lease table from the snapshot");
        StatusReply status = ns.status(fresh).orElseThrow();
        assertThat(status.getPeersMap()).containsKey(freshId).doesNotContainKey(deadId);
        assertThat(status.getSessions()).isEqualTo(2);

        // Both sites keep serving with the new peer leading.
        long[] before = {load.succeeded(0), load.succeeded(1)};
        long deadline = System.nanoTime() + TTL.toNanos();
        while ((load.succeeded(0) <= before[0] + 10 || load.succeeded(1) <= before[1] + 10)
            && System.nanoTime() - deadline < 0) {
          Thread.sleep(100);
        }
        for (int s = 0; s < 2; s++) {
          assertThat(load.succeeded(s)).as("operations at site %d", s + 1).isGreaterThan(before[s]);
        }
        for (int s = 0; s < 2; s++) {
          System.out.printf(
              "peer replacement: site %d longest stretch without a successful operation %d ms,"
                  + " %d failed of %d%n",
              s + 1,
              load.longestGap(s).toMillis(),
              load.failed(s) - failedBefore[s],
              load.succeeded(s));
          assertThat(load.failed(s) - failedBefore[s])
              .as("operations that failed at site %d\n%s", s + 1, ns.logs())
              .isZero();
          assertThat(load.longestGap(s)).as("site %d's longest pause", s + 1).isLessThan(TTL);
        }
      }

      // Nothing acknowledged was lost, and a write at each site is read at every site.
      for (int r = 0; r < 2; r++) {
        try (S3Client reader = ns.client(r)) {
          for (int i = 0; i < KEYS; i++) {
            String key = "before-" + i;
            assertThat(reader.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asUtf8String())
                .isEqualTo("value " + key);
          }
        }
      }
      for (int w = 0; w < 2; w++) {
        String value = "final from " + ns.site(w).name();
        try (S3Client writer = ns.client(w)) {
          writer.putObject(p -> p.bucket(bucket).key("final"), RequestBody.fromString(value));
        }
        for (int r = 0; r < 2; r++) {
          try (S3Client reader = ns.client(r)) {
            assertThat(reader.getObjectAsBytes(g -> g.bucket(bucket).key("final")).asUtf8String())
                .isEqualTo(value);
          }
        }
      }
    }
  }
}
