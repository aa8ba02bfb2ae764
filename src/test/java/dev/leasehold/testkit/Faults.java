package dev.leasehold.testkit;

import java.time.Duration;

/**
 * The faults the linearizability runs inject into a {@link LocalCluster}, each checking that it
 * happened and ending healed: a fault that could not be made (a session that did not lapse, a
 * leader that did not change) throws, and the run fails with it. Stateless.
 */
public final class Faults {
  private Faults() {}

  /**
   * Cuts {@code site} off from the coordinator until its session has lapsed (its renewals dropped,
   * past its deadline), keeps it so for {@code ttl} while clients meet it, then heals the link and
   * waits until the site has a session again.
   */
  public static Runnable cutOff(LocalCluster cluster, int site, Duration ttl) {
    return () -> {
      Partition link = cluster.link(site);
      long dropped = link.dropped();
      link.cut(true);
      Await.until(
          () -> !cluster.site(site).leases().valid(),
          ttl.multipliedBy(3),
          "site " + site + "'s session to lapse while cut off");
      sleep(ttl);
      if (link.dropped() == dropped) {
        throw new AssertionError("the link dropped none of site " + site + "'s calls");
      }
      link.cut(false);
      Await.until(
          () -> cluster.site(site).leases().valid(),
          Duration.ofSeconds(30),
          "site " + site + " to have a session again once healed");
    };
  }

  /** Stops {@code site}, keeps it down past its session ({@code 2·ttl}), and starts it again. */
  public static Runnable stopSite(LocalCluster cluster, int site, Duration ttl) {
    return () -> {
      cluster.kill(site);
      if (cluster.isUp(site)) {
        throw new AssertionError("site " + site + " is still up");
      }
      sleep(ttl.multipliedBy(2));
      cluster.restart(site);
    };
  }

  /**
   * Stops the coordinator's leader, waits until another peer leads, and starts the stopped one
   * again on its log.
   */
  public static Runnable stopLeader(LocalCluster cluster) {
    return () -> {
      int leader = cluster.leader();
      cluster.killCoordinator(leader);
      int next = cluster.leader();
      if (next == leader) {
        throw new AssertionError("peer " + leader + " still leads after it was stopped");
      }
      cluster.restartCoordinator(leader);
    };
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
