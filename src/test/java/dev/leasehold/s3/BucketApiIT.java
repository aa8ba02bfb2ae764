package dev.leasehold.s3;

import static dev.leasehold.s3.ObjectApiIT.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation, against each origin. */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class BucketApiIT {
  static LocalCluster cluster;
  static S3Client s3;

  @Parameter OriginKind origin;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind origin) {
    cluster = LocalCluster.builder().origin(origin).start();
    s3 = cluster.client(0);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    s3.close();
    cluster.close();
  }

  /**
   * A request for a bucket the origin does not have is NoSuchBucket, and binds nothing at the
   * coordinator: the bucket table holds only buckets that exist (or were created through a site).
   */
  @Test
  void aBucketTheOriginDoesNotHaveIsNoSuchBucketAndBindsNothing() {
    assertThatThrownBy(() -> s3.getObject(g -> g.bucket("never-created").key("k")))
        .isInstanceOf(NoSuchBucketException.class);
    assertThatThrownBy(() ->
            s3.putObject(p -> p.bucket("never-created").key("k"), RequestBody.fromString("x")))
        .isInstanceOf(NoSuchBucketException.class);
    String coordinator = cluster.site(0).embeddedCoordinator().clientAddress();
    assertThat(
            dev.leasehold.testkit.CoordinatorStatus.of(coordinator, java.time.Duration.ofSeconds(5))
                .getBucketOriginsMap())
        .doesNotContainKey("never-created");
    s3.createBucket(r -> r.bucket("created-later"));
    assertThat(
            dev.leasehold.testkit.CoordinatorStatus.of(coordinator, java.time.Duration.ofSeconds(5))
                .getBucketOriginsMap())
        .containsKey("created-later");
  }

  @Test
  void createListHeadLocateDelete() {
    s3.createBucket(r -> r.bucket("lifecycle-one"));
    s3.createBucket(r -> r.bucket("lifecycle-two"));
    assertThat(s3.listBuckets().buckets())
        .extracting(b -> b.name())
        .contains("lifecycle-one", "lifecycle-two");
    assertThat(s3.listBuckets().buckets())
        .filteredOn(b -> b.name().equals("lifecycle-one"))
        .singleElement()
        .satisfies(b -> assertThat(b.creationDate()).isNotNull());
    s3.headBucket(r -> r.bucket("lifecycle-one"));
    assertThat(s3.getBucketLocation(r -> r.bucket("lifecycle-one")).locationConstraintAsString())
        .isNullOrEmpty();
    s3.deleteBucket(r -> r.bucket("lifecycle-one"));
    assertThatThrownBy(() -> s3.headBucket(r -> r.bucket("lifecycle-one")))
        .isInstanceOf(NoSuchBucketException.class);
    assertThat(s3.listBuckets().buckets())
        .extracting(b -> b.name())
        .doesNotContain("lifecycle-one");
  }

  @Test
  void creatingAnExistingBucketIsBucketAlreadyOwnedByYou() {
    s3.createBucket(r -> r.bucket("twice-created"));
    assertThatThrownBy(() -> s3.createBucket(r -> r.bucket("twice-created")))
        .isInstanceOf(BucketAlreadyOwnedByYouException.class)
        .satisfies(e -> assertThat(((S3Exception) e).statusCode()).isEqualTo(409));
  }

  @Test
  void deletingANonEmptyBucketIsBucketNotEmpty() {
    s3.createBucket(r -> r.bucket("not-empty"));
    s3.putObject(r -> r.bucket("not-empty").key("k"), RequestBody.fromString("v"));
    assertThatThrownBy(() -> s3.deleteBucket(r -> r.bucket("not-empty")))
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          assertThat(((S3Exception) e).statusCode()).isEqualTo(409);
          assertThat(((S3Exception) e).awsErrorDetails().errorCode()).isEqualTo("BucketNotEmpty");
        });
    s3.deleteObject(r -> r.bucket("not-empty").key("k"));
    s3.deleteBucket(r -> r.bucket("not-empty"));
  }

  @Test
  void missingBucket() {
    assertThatThrownBy(() -> s3.deleteBucket(r -> r.bucket("never-created")))
        .isInstanceOf(NoSuchBucketException.class);
    assertStatus(() -> s3.headBucket(r -> r.bucket("never-created")), 404);
    assertThatThrownBy(() -> s3.listObjectsV2(r -> r.bucket("never-created")))
        .isInstanceOf(NoSuchBucketException.class);
  }
}
