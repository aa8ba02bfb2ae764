package dev.leasehold.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.ProcessNamespace;
import dev.leasehold.testkit.Workload;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The linearizability workload on a namespace of processes (three coordinator peers and three sites
 * over S3Proxy), with the processes killed as a machine loses them: SIGKILL, no shutdown hook.
 * First a site is killed mid-run and started again on its data directory; then the coordinator's
 * leader is killed and started again on its log. Each kill is checked (the process is dead), each
 * fault ends healed (the process runs again and every peer has caught up), and each run ends with a
 * read of every key at every site.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CrashLinearizabilityIT {
  static final Duration TTL = Duration.ofSeconds(3);

  @Test
  void whileASiteAndThenTheCoordinatorLeaderAreKilled() throws Exception {
    try (ProcessNamespace ns = ProcessNamespace.start(3, 3, TTL)) {
      run(
          ns,
          () -> {
            ns.killSite(2);
            LinearizabilityIT.sleep(TTL.multipliedBy(2).toMillis()); // its leases lapse
            ns.startSite(2);
            ns.awaitReady(2, Duration.ofSeconds(60));
          });
      int[] killed = {-1, -1};
      run(
          ns,
          () -> {
            int leader = ns.leader(Duration.ofSeconds(30));
            ns.killPeer(leader);
            killed[0] = leader;
            killed[1] = ns.leader(Duration.ofSeconds(30)); // another peer took over
            ns.startPeer(leader);
            ns.awaitPeersCaughtUp(Duration.ofSeconds(60));
          });
      assertThat(killed[1]).as("the new leader").isNotEqualTo(killed[0]).isNotNegative();
    }
  }

  private static void run(ProcessNamespace ns, Runnable fault) throws InterruptedException {
    String bucket;
    try (S3Client s3 = ns.client(0)) {
      bucket = Data.bucket(s3);
    }
    Workload.Settings settings =
        new Workload.Settings(3, 2, 40, Duration.ofSeconds(90), Workload.seed());
    Workload.Result result = Workload.run(ns, bucket, settings, fault);
    Workload.assertLinearizable(result, Workload.finalReads(ns, bucket, settings.keys(), 1000));
  }
}
