package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.ProcessNamespace;
import dev.leasehold.testkit.SteadyLoad;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A rolling restart, as an operator does one: a namespace of real processes (three coordinator
 * peers, three sites over S3Proxy) under steady load at every site; each site is stopped with
 * SIGTERM and started again, then each peer, one at a time, on the same data directory and ports.
 * After each round every site has a session again within a few seconds, a new site can register,
 * and a write at any site is read at every other. Whether it wedged depended on timing: the
 * sequence runs {@code leasehold.rolling.rounds} times (once in the test command, where
 * BalancedRestartIT makes another round at other gaps).
 */
class RollingRestartIT {
  static final Duration TTL = Duration.ofSeconds(10);
  // One round in the test command: BalancedRestartIT restarts every site and peer once more, at
  // other gaps. -Dleasehold.rolling.rounds=N repeats it (the wedge depended on timing).
  static final int ROUNDS = Integer.getInteger("leasehold.rolling.rounds", 1);

  /** About the gap an operator leaves between peers (and the gap that wedged the group). */
  static final Duration PEER_GAP = Duration.ofSeconds(11);

  static final int CLIENTS_PER_SITE = 2;

  static final Duration SITE_GAP = Duration.ofSeconds(3);

  /** "Within a few seconds of the last restart": one renewal interval and an election. */
  static final Duration BACK_WITHIN = Duration.ofSeconds(15);

  /** Prints how long a step took: where this long test spends its time, in the test's output. */
  private static void step(String what, long startedNanos, Object... args) {
    System.out.printf(
        "rolling restart: %s in %d ms%n",
        String.format(what, args), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES)
  void everySiteHasASessionAfterEachPeerAndEachSiteIsRestartedInTurn() throws Exception {
    try (ProcessNamespace ns = ProcessNamespace.start(3, 3, TTL)) {
      String bucket;
      try (S3Client s3 = ns.client(0)) {
        bucket = Data.bucket(s3);
      }
      try (SteadyLoad load =
          SteadyLoad.start(ns, CLIENTS_PER_SITE, bucket, Duration.ofMinutes(15))) {
        for (int round = 0; round < ROUNDS; round++) {
          for (int i = 0; i < ns.siteCount(); i++) {
            long started = System.nanoTime();
            ns.restartSite(i);
            step("round %d: site %d restarted", started, round + 1, i + 1);
            Thread.sleep(SITE_GAP.toMillis());
          }
          for (int i = 0; i < ns.peerCount(); i++) {
            long started = System.nanoTime();
            ns.restartPeer(i);
            step("round %d: peer %d restarted", started, round + 1, i + 1);
            Thread.sleep(PEER_GAP.toMillis());
          }
          long caughtUp = System.nanoTime();
          // Every peer is a working member again (a peer whose Raft server stopped is not).
          ns.awaitPeersCaughtUp(BACK_WITHIN);
          step("round %d: peers caught up", caughtUp, round + 1);
          long[] before = new long[ns.siteCount()];
          for (int i = 0; i < ns.siteCount(); i++) {
            ns.awaitReady(i, BACK_WITHIN);
            before[i] = load.succeeded(i);
          }
          // Ready is not enough: each site serves its clients again.
          for (int i = 0; i < ns.siteCount(); i++) {
            int site = i;
            long deadline = System.nanoTime() + BACK_WITHIN.toNanos();
            while (load.succeeded(site) <= before[site] && System.nanoTime() - deadline < 0) {
              Thread.sleep(100);
            }
            assertThat(load.succeeded(site))
                .as("operations at site %d after round %d\n%s", site + 1, round + 1, ns.logs())
                .isGreaterThan(before[site]);
          }
        }
      }

      int added = ns.addSite();
      ns.awaitReady(added, BACK_WITHIN.multipliedBy(2));

      // A final write at every site, read at every site.
      for (int w = 0; w < ns.siteCount(); w++) {
        String value = "final from " + ns.site(w).name();
        try (S3Client writer = ns.client(w)) {
          writer.putObject(p -> p.bucket(bucket).key("final"), RequestBody.fromString(value));
        }
        for (int r = 0; r < ns.siteCount(); r++) {
          try (S3Client reader = ns.client(r)) {
            assertThat(reader.getObjectAsBytes(g -> g.bucket(bucket).key("final")).asUtf8String())
                .as("read at %s after the write at %s", ns.site(r).name(), ns.site(w).name())
                .isEqualTo(value);
          }
        }
      }
    }
  }
}
