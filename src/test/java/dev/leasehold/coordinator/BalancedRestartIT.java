package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.Haproxy;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Ports;
import dev.leasehold.testkit.ProcessNamespace;
import dev.leasehold.testkit.Scrape;
import dev.leasehold.testkit.Workload;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A rolling restart nobody notices (docs/operations.md, Rolling restarts): two sites at one place
 * behind HAProxy (health-checking {@code /health/ready}), three coordinator peers, all real
 * processes over S3Proxy. Clients of the AWS SDK, with its default retries, run the linearizability
 * workload through the balancer in a write-through and a write-back bucket, while each site and
 * then each peer is stopped with SIGTERM and started again, one at a time; the next waits until the
 * balancer sees the last one back. No client operation fails, the history (with a final read of
 * every key) is linearizable, and so nothing acknowledged was lost.
 */
class BalancedRestartIT {
  static final Duration TTL = Duration.ofSeconds(10);

  static final Workload.Settings SETTINGS =
      new Workload.Settings(6, 3, 400, Duration.ofMinutes(6), Workload.seed());

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  void restartingEverySiteAndEveryPeerBehindABalancerFailsNoClientOperation() throws Exception {
    try (ProcessNamespace ns = ProcessNamespace.start(3, 0, TTL);
        Ports ports = Ports.reserve(4)) {
      ports.release();
      List<Haproxy.Backend> backends = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        int s3 = ports.get(2 * i);
        int admin = ports.get(2 * i + 1);
        ns.addSite("--s3-port=" + s3, "--admin-port=" + admin);
        backends.add(new Haproxy.Backend("site" + (i + 1), s3, admin));
      }
      for (int i = 0; i < 2; i++) {
        ns.awaitReady(i, Duration.ofSeconds(60));
      }
      try (Haproxy balancer = Haproxy.start(ns.root().resolve("haproxy"), backends)) {
        for (Haproxy.Backend b : backends) {
          balancer.await(b.name(), "UP", Duration.ofSeconds(10));
        }
        String writeThrough;
        String writeBack;
        try (S3Client s3 = ns.client(0)) {
          writeThrough = Data.bucket(s3);
          writeBack = Data.bucket(s3);
        }
        assertThat(ns.admin(0, "write-mode", writeBack, "write-back").getKey()).isZero();
        Workload.Sites throughBalancer = new ThroughBalancer(balancer.endpoint());
        List<Long> pidsBefore = pids(ns);

        Runnable rollingRestart =
            () -> {
              for (int i = 0; i < 2; i++) {
                ns.restartSite(i); // SIGTERM; checks the exit status is 0
                ns.awaitReady(i, Duration.ofSeconds(60));
                balancer.await(backends.get(i).name(), "UP", Duration.ofSeconds(30));
                System.out.println("balanced restart: site " + (i + 1) + " back in the balancer");
              }
              for (int i = 0; i < ns.peerCount(); i++) {
                ns.restartPeer(i);
                ns.awaitPeersCaughtUp(Duration.ofSeconds(30));
                for (int s = 0; s < 2; s++) {
                  ns.awaitReady(s, Duration.ofSeconds(30));
                }
                System.out.println("balanced restart: peer " + (i + 1) + " back");
              }
            };
        Workload.Result result =
            Workload.run(
                throughBalancer, List.of(writeThrough, writeBack), SETTINGS, rollingRestart);
        System.out.printf(
            "balanced restart: %d operations succeeded, %d failed, seed %d%n",
            result.succeeded(), result.failed(), result.seed());
        assertThat(result.failures())
            .as("client operations that failed through the balancer (seed %d)", result.seed())
            .isEmpty();
        Workload.assertLinearizable(
            result,
            Workload.finalReads(
                throughBalancer, List.of(writeThrough, writeBack), SETTINGS.keys(), 1000));
        // The fault happened: both sites and all three peers are new processes, and the balancer
        // sends to both sites again.
        List<Long> pidsAfter = pids(ns);
        for (int i = 0; i < pidsBefore.size(); i++) {
          assertThat(pidsAfter.get(i))
              .as("process %d restarted", i)
              .isNotEqualTo(pidsBefore.get(i));
        }
        // The write-back bucket wrote back: its versions went through the journals since the
        // restarts, and the journals are flushed now.
        double flushed = 0;
        for (int i = 0; i < 2; i++) {
          flushed += Scrape.of(ns.site(i).admin()).value("leasehold_flush_objects_total");
        }
        assertThat(flushed).as("versions flushed from the journals").isPositive();
        assertThat(balancer.states().values()).hasSize(2).allMatch(s -> s.startsWith("UP"));
      }
    }
  }

  /** The process ids of every site, then every peer. */
  private static List<Long> pids(ProcessNamespace ns) {
    List<Long> pids = new ArrayList<>();
    for (int i = 0; i < ns.siteCount(); i++) {
      pids.add(ns.siteProcess(i).pid());
    }
    for (int i = 0; i < ns.peerCount(); i++) {
      pids.add(ns.peer(i).pid());
    }
    return pids;
  }

  /** Every client of the workload at the balancer, with the SDK's default retries. */
  private record ThroughBalancer(URI endpoint) implements Workload.Sites {
    @Override
    public int size() {
      return 2;
    }

    @Override
    public URI s3(int i) {
      return endpoint;
    }

    @Override
    public boolean isUp(int i) {
      return true;
    }

    @Override
    public S3Client client(int i, URI at) {
      return Clients.builder(at, LocalCluster.CREDENTIALS)
          .overrideConfiguration(
              o -> o.retryStrategy(RetryMode.STANDARD).apiCallTimeout(Duration.ofSeconds(60)))
          .build();
    }
  }
}
