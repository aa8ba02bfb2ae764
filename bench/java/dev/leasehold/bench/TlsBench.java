package dev.leasehold.bench;

import dev.leasehold.testkit.LocalCluster;

/**
 * What mutual TLS on every internal link costs the coordinator path: READ grants/s ({@link
 * LeaseBench#grantsPerSecond}) on a namespace of 3 sites and 3 coordinator peers, with plain links
 * and with mutual TLS, in one run on one machine. Three runs (plain, TLS, plain) warm the JVM and
 * are not counted: grants/s still doubled over the first three runs of a cold JVM. Then the two
 * modes run in the order plain, TLS, TLS, plain, plain, TLS, so that neither gains from running
 * later; the figure to compare is each mode's median.
 */
public final class TlsBench {
  private TlsBench() {}

  public static void main(String[] args) throws Exception {
    System.out.println("mTLS benchmark: READ grants/s, 3 sites, 3 coordinator peers, loopback");
    run("warm-up 1 (not counted), plain", false);
    run("warm-up 2 (not counted), mutual TLS", true);
    run("warm-up 3 (not counted), plain", false);
    boolean[] order = {false, true, true, false, false, true};
    for (int i = 0; i < order.length; i++) {
      run("run " + (i + 1) + ", " + (order[i] ? "mutual TLS" : "plain"), order[i]);
    }
  }

  private static void run(String label, boolean secure) throws Exception {
    LocalCluster.Builder b = LocalCluster.builder().sites(3).coordinators(3);
    if (secure) {
      b.secure();
    }
    try (LocalCluster cluster = b.start()) {
      System.out.print(label + ": ");
      LeaseBench.grantsPerSecond(cluster);
    }
  }
}
