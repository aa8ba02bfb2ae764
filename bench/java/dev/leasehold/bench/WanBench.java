package dev.leasehold.bench;

import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.WanCosts;
import dev.leasehold.testkit.WanCosts.Operation;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * What distance costs, in round trips (issue 16): two sites and one coordinator peer on loopback,
 * every link through the project's delaying relay. The remote site is 50 ms one way (100 ms a round
 * trip) from the coordinator, from the origin (S3Proxy) and from the other site; the site next to
 * the coordinator is as far from the origin. Each operation is timed 5 times near (no delay) and 5
 * times far, in the same topology; its round trips are the difference of the medians over 100 ms.
 * Printed for the remote site and for the near one, with 4 KiB and 1 MiB objects, beside the limit
 * of each. Every loop is bounded in count. Run with {@code bench/run.sh wan}.
 */
public final class WanBench {
  static final Duration ONE_WAY = Duration.ofMillis(50);
  static final int REPS = 5;

  private WanBench() {}

  public static void main(String[] args) throws Exception {
    Map<Operation, String> limits = new EnumMap<>(Operation.class);
    limits.put(Operation.HIT, "0");
    limits.put(Operation.COLD_GET, "1 (target <= 1.2)");
    limits.put(Operation.PUT_NEW, "2 (target <= 2.2)");
    limits.put(Operation.PUT_EXISTING, "2 (target <= 2.2)");
    limits.put(Operation.DELETE, "2 (target <= 2.2)");
    limits.put(Operation.PUT_NEW_WRITE_BACK, "1 (target <= 1.2)");
    limits.put(Operation.PUT_AGAIN_WRITE_BACK, "0");
    limits.put(Operation.LIST, "1 (target <= 1.2)");
    limits.put(Operation.PUT_RECALLING, "1 at the near site (target <= 1.2)");
    limits.put(Operation.REDIRECTED_GET, "coordinator + owner: 2 remote, 1 near (target <= +0.2)");
    limits.put(Operation.REDIRECTED_AGAIN, "1, the owner alone (target <= 1.2)");
    System.out.println(
        "wan benchmark: 2 sites, 1 coordinator peer, S3Proxy origin; 100 ms round trip; median of "
            + REPS);
    try (LocalCluster cluster = WanCosts.twoSites()) {
      Runnable far = WanCosts.distance(cluster, 1, ONE_WAY);
      Runnable near = WanCosts.distance(cluster, 1, Duration.ZERO);
      for (int[] sites : new int[][] {{1, 0}, {0, 1}}) {
        try (WanCosts costs = new WanCosts(cluster, sites[0], sites[1])) {
          for (int size : new int[] {4096, 1024 * 1024}) {
            String title =
                (sites[0] == 1 ? "remote site" : "site next to the coordinator")
                    + ", "
                    + (size == 4096 ? "4 KiB" : "1 MiB");
            System.out.println(
                WanCosts.table(
                    title, costs.measure(size, REPS, ONE_WAY.multipliedBy(2), far, near), limits));
          }
        }
      }
    }
  }
}
