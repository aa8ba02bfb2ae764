package dev.leasehold.site;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cli.Setting;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.S3Errors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A bucket is bound to an origin name, not to the endpoint a site reaches the store at: two sites
 * reaching one S3Proxy through two different endpoints (each through its own relay) under one
 * {@code origin-name} share its buckets, and a site that names the store otherwise is still refused
 * (503), as a site configured with another store must be.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class NamedOriginIT {
  @Test
  void sitesReachingOneStoreThroughTwoEndpointsShareItsBucketsUnderOneName() {
    try (LocalCluster cluster =
            LocalCluster.builder()
                .origin(OriginKind.S3PROXY)
                .sites(3)
                .coordinators(1)
                .relayed()
                .set(Setting.ORIGIN_NAME, "shared-store")
                .set(2, Setting.ORIGIN_NAME, "another-store")
                .start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1);
        S3Client c = cluster.client(2)) {
      // Two endpoints, one store.
      assertThat(cluster.originRelay(0).port()).isNotEqualTo(cluster.originRelay(1).port());
      assertThat(cluster.origin(0).describe()).isNotEqualTo(cluster.origin(1).describe());

      String bucket = Data.bucket(a);
      a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("written at a"));
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("written at a");
      b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("written at b"));
      assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("written at b");
      // Each site reached the store through its own endpoint.
      assertThat(cluster.originRelay(0).bytesRelayed()).isPositive();
      assertThat(cluster.originRelay(1).bytesRelayed()).isPositive();

      // A site that names the store otherwise is refused the bucket.
      S3Exception refused = S3Errors.of(() -> c.getObjectAsBytes(g -> g.bucket(bucket).key("k")));
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.awsErrorDetails().errorMessage()).contains("another origin");
      assertThat(cluster.site(2).leases().admin().boundOrigin(bucket)).isEqualTo("shared-store");

      // Final reads: both sharing sites agree.
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("written at b");
      assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("written at b");
    }
  }
}
