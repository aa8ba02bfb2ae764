package dev.leasehold.bench;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.Faults;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Workload;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A longer soak of the linearizability check than the test command affords: three sites and a
 * three-peer coordinator group, many keys, run after run with a new random seed each, cycling the
 * faults (none, a site cut off from the coordinator, a site stopped, the coordinator's leader
 * stopped), each run ending with a read of every key at every site. It stops at the first
 * violation, printing the seed that replays its operations ({@code -Dleasehold.seed=}), or after
 * {@code -Dsoak.minutes} (default 10), and prints each run's figures. Run with {@code bench/run.sh
 * soak}.
 */
public final class Soak {
  static final Duration TTL = Duration.ofSeconds(2);

  private record Fault(String name, Function<LocalCluster, Runnable> make) {}

  private Soak() {}

  public static void main(String[] args) throws Exception {
    Duration length = Duration.ofMinutes(Long.getLong("soak.minutes", 10));
    int keys = Integer.getInteger("soak.keys", 32);
    List<Fault> faults =
        List.of(
            new Fault("none", c -> null),
            new Fault("site 1 cut off", c -> Faults.cutOff(c, 1, TTL)),
            new Fault("site 2 stopped", c -> Faults.stopSite(c, 2, TTL)),
            new Fault("leader stopped", Faults::stopLeader));
    System.out.printf(
        "soak: %d keys, 3 sites, 3 coordinator peers, for %s; faults cycle: %s%n",
        keys, length, faults.stream().map(Fault::name).toList());
    long end = System.nanoTime() + length.toNanos();
    int runs = 0;
    try (LocalCluster cluster = LocalCluster.builder().sites(3).coordinators(3).ttl(TTL).start()) {
      while (System.nanoTime() - end < 0) {
        Fault fault = faults.get(runs % faults.size());
        String bucket;
        try (S3Client s3 = cluster.client(0)) {
          bucket = Data.bucket(s3);
        }
        Workload.Settings settings =
            new Workload.Settings(keys, 4, 100, Duration.ofMinutes(3), Workload.seed());
        long started = System.nanoTime();
        try {
          Workload.Result result =
              Workload.run(cluster, bucket, settings, fault.make().apply(cluster));
          Workload.assertLinearizable(
              result, Workload.finalReads(cluster, bucket, settings.keys(), 1000));
          System.out.printf(
              "run %d (%s): linearizable; %d ops, %d failed, %d reads saw a value, %.1f s%n",
              runs + 1,
              fault.name(),
              result.history().size(),
              result.failed(),
              result.readsWithValues(),
              (System.nanoTime() - started) / 1e9);
        } catch (AssertionError e) {
          System.out.printf(
              "run %d (%s), seed %d: FAILED%n%s%n", runs + 1, fault.name(), settings.seed(), e);
          System.exit(1);
        }
        runs++;
      }
    }
    System.out.printf("soak: %d runs, every one linearizable%n", runs);
  }
}
