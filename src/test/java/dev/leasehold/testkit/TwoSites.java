package dev.leasehold.testkit;

import software.amazon.awssdk.services.s3.S3Client;

/**
 * Two sites of one namespace over one origin, each with its SDK client: the set-up of every test
 * that shows a feature's cross-site side (a change made at {@link #a} holds at {@link #b}). Closing
 * it closes the clients and the cluster.
 */
public final class TwoSites implements AutoCloseable {
  public final LocalCluster cluster;
  public final S3Client a;
  public final S3Client b;

  private TwoSites(LocalCluster cluster) {
    this.cluster = cluster;
    this.a = cluster.client(0);
    this.b = cluster.client(1);
  }

  /** Two sites over a directory origin. */
  public static TwoSites start() {
    return start(LocalCluster.builder());
  }

  /** Two sites of a cluster {@code builder} describes otherwise. */
  public static TwoSites start(LocalCluster.Builder builder) {
    return new TwoSites(builder.sites(2).start());
  }

  @Override
  public void close() {
    a.close();
    b.close();
    cluster.close();
  }
}
