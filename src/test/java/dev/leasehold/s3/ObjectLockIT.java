package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.TwoSites;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.ObjectLockLegalHoldStatus;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Object Lock (Amazon S3 User Guide, "Locking objects with Object Lock"; API Reference:
 * PutObjectLockConfiguration, PutObjectRetention, PutObjectLegalHold) at two sites over one
 * directory origin: a lock set at one site holds at the other — a locked version cannot be removed
 * there, and the other site's HEAD names the lock at once; GOVERNANCE yields to a caller who
 * bypasses it, COMPLIANCE and legal holds to nobody; the bucket's default retention locks every new
 * version; and the bucket stays versioned.
 */
class ObjectLockIT {
  static TwoSites sites;
  static LocalCluster cluster;
  static S3Client a;
  static S3Client b;

  @BeforeAll
  static void start() {
    sites = TwoSites.start();
    cluster = sites.cluster;
    a = sites.a;
    b = sites.b;
  }

  @AfterAll
  static void stop() {
    sites.close();
  }

  /** Puts key {@code k} in {@code bucket} at {@code site}, under GOVERNANCE until {@code until}. */
  private static PutObjectResponse putGoverned(
      S3Client site, String bucket, Instant until, String body) {
    return site.putObject(
        p ->
            p.bucket(bucket)
                .key("k")
                .objectLockMode(ObjectLockMode.GOVERNANCE)
                .objectLockRetainUntilDate(until),
        RequestBody.fromString(body));
  }

  private static String lockedBucket() {
    String bucket = "lock-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
    a.createBucket(c -> c.bucket(bucket).objectLockEnabledForBucket(true));
    assertThat(b.getBucketVersioning(r -> r.bucket(bucket)).status())
        .isEqualTo(BucketVersioningStatus.ENABLED);
    assertThat(
            b.getObjectLockConfiguration(r -> r.bucket(bucket))
                .objectLockConfiguration()
                .objectLockEnabledAsString())
        .isEqualTo("Enabled");
    return bucket;
  }

  @Test
  void aLockSetAtOneSiteHoldsAtTheOther() {
    String bucket = lockedBucket();
    Instant until = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    PutObjectResponse v1 = putGoverned(b, bucket, until, "kept");
    HeadObjectResponse head = a.headObject(h -> h.bucket(bucket).key("k"));
    assertThat(head.objectLockMode()).isEqualTo(ObjectLockMode.GOVERNANCE);
    assertThat(head.objectLockRetainUntilDate()).isEqualTo(until);
    assertError(
        () -> a.deleteObject(d -> d.bucket(bucket).key("k").versionId(v1.versionId())),
        403,
        "AccessDenied");

    // A legal hold set at A shows at B, which had just read the object, at once.
    a.putObjectLegalHold(
        r -> r.bucket(bucket).key("k").legalHold(h -> h.status(ObjectLockLegalHoldStatus.ON)));
    assertThat(b.headObject(h -> h.bucket(bucket).key("k")).objectLockLegalHoldStatus())
        .isEqualTo(ObjectLockLegalHoldStatus.ON);
    assertThat(b.getObjectLegalHold(r -> r.bucket(bucket).key("k")).legalHold().status())
        .isEqualTo(ObjectLockLegalHoldStatus.ON);
    // Bypassing governance does not lift a legal hold.
    assertError(
        () ->
            b.deleteObject(d ->
                d.bucket(bucket)
                    .key("k")
                    .versionId(v1.versionId())
                    .bypassGovernanceRetention(true)),
        403,
        "AccessDenied");
    b.putObjectLegalHold(
        r -> r.bucket(bucket).key("k").legalHold(h -> h.status(ObjectLockLegalHoldStatus.OFF)));

    // Shortening GOVERNANCE needs the bypass; then the version may go, with it.
    Instant sooner = until.minus(1, ChronoUnit.HOURS);
    assertError(
        () ->
            a.putObjectRetention(r ->
                r.bucket(bucket)
                    .key("k")
                    .retention(
                        x -> x.mode(ObjectLockRetentionMode.GOVERNANCE).retainUntilDate(sooner))),
        403,
        "AccessDenied");
    a.putObjectRetention(r ->
        r.bucket(bucket)
            .key("k")
            .bypassGovernanceRetention(true)
            .retention(x -> x.mode(ObjectLockRetentionMode.GOVERNANCE).retainUntilDate(sooner)));
    assertThat(b.getObjectRetention(r -> r.bucket(bucket).key("k")).retention().retainUntilDate())
        .isEqualTo(sooner);
    // A delete marker is not a removal of the version: it is allowed.
    assertThat(b.deleteObject(d -> d.bucket(bucket).key("k")).deleteMarker()).isTrue();
    b.deleteObject(
        d -> d.bucket(bucket).key("k").versionId(v1.versionId()).bypassGovernanceRetention(true));
    assertError(
        () -> a.getObject(g -> g.bucket(bucket).key("k").versionId(v1.versionId())),
        404,
        "NoSuchVersion");
  }

  @Test
  void theDefaultRetentionLocksEveryNewVersionAndComplianceYieldsToNobody() {
    String bucket = lockedBucket();
    b.putObjectLockConfiguration(r ->
        r.bucket(bucket)
            .objectLockConfiguration(c ->
                c.objectLockEnabled("Enabled")
                    .rule(x -> x.defaultRetention(d -> d.mode("COMPLIANCE").days(1)))));
    PutObjectResponse v1 =
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("kept"));
    var retention = b.getObjectRetention(r -> r.bucket(bucket).key("k").versionId(v1.versionId()));
    assertThat(retention.retention().mode()).isEqualTo(ObjectLockRetentionMode.COMPLIANCE);
    assertThat(retention.retention().retainUntilDate())
        .isAfter(Instant.now().plus(23, ChronoUnit.HOURS));
    var deleted =
        b.deleteObjects(d ->
            d.bucket(bucket)
                .bypassGovernanceRetention(true)
                .delete(x ->
                    x.objects(
                        ObjectIdentifier.builder().key("k").versionId(v1.versionId()).build())));
    assertThat(deleted.errors())
        .singleElement()
        .satisfies(e -> {
          assertThat(e.code()).isEqualTo("AccessDenied");
          assertThat(e.versionId()).isEqualTo(v1.versionId());
        });
    assertError(
        () ->
            a.putBucketVersioning(r ->
                r.bucket(bucket)
                    .versioningConfiguration(c -> c.status(BucketVersioningStatus.SUSPENDED))),
        409,
        "InvalidBucketState");
    assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("kept");
  }

  @Test
  void lockRequestsOnABucketWithoutObjectLockAreRefused() {
    String bucket = Data.bucket(a);
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    assertError(
        () -> putGoverned(a, bucket, Instant.now().plusSeconds(60), "v"), 400, "InvalidRequest");
    assertError(() -> b.getObjectRetention(r -> r.bucket(bucket).key("k")), 400, "InvalidRequest");
    assertError(
        () -> b.getObjectLockConfiguration(r -> r.bucket(bucket)),
        404,
        "ObjectLockConfigurationNotFoundError");
    assertError(
        () ->
            b.putObjectLockConfiguration(
                r -> r.bucket(bucket).objectLockConfiguration(c -> c.objectLockEnabled("Enabled"))),
        409,
        "InvalidBucketState");
    String locked = lockedBucket();
    assertError(
        () ->
            a.putObjectLockConfiguration(r ->
                r.bucket(locked)
                    .objectLockConfiguration(c ->
                        c.objectLockEnabled("Enabled")
                            .rule(x -> x.defaultRetention(d -> d.mode("GOVERNANCE").days(0))))),
        400,
        "InvalidRetentionPeriod");
    assertError(
        () -> putGoverned(a, locked, Instant.now().minusSeconds(60), "v"), 400, "InvalidArgument");
  }

  /**
   * Bypassing governance is a permission of its own ({@code s3:BypassGovernanceRetention}), and
   * removing a version another ({@code s3:DeleteObjectVersion}): a policy that denies either holds
   * even against the owner's key, and no ACL grant gives either to anyone else.
   */
  @Test
  void bypassingGovernanceAndRemovingVersionsArePermissionsOfTheirOwn() {
    String bucket = lockedBucket();
    a.putBucketAcl(r ->
        r.bucket(bucket)
            .acl(software.amazon.awssdk.services.s3.model.BucketCannedACL.PUBLIC_READ_WRITE));
    Instant until = Instant.now().plus(1, ChronoUnit.DAYS);
    PutObjectResponse v1 = putGoverned(a, bucket, until, "kept");
    // Everyone may write keys here, but not remove a version, bypass or not.
    var anonymous = java.net.http.HttpClient.newHttpClient();
    var request =
        java.net.http.HttpRequest.newBuilder(
                cluster.s3(0).resolve("/" + bucket + "/k?versionId=" + v1.versionId()))
            .header("x-amz-bypass-governance-retention", "true")
            .DELETE()
            .build();
    assertThat(send(anonymous, request)).isEqualTo(403);

    a.putBucketPolicy(r ->
        r.bucket(bucket)
            .policy(
                """
                {"Statement": [
                  {"Effect": "Deny", "Principal": "*", "Action": "s3:BypassGovernanceRetention",
                   "Resource": "arn:aws:s3:::%1$s/*"},
                  {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObjectVersion",
                   "Resource": "arn:aws:s3:::%1$s/other"}]}
                """
                    .formatted(bucket)));
    assertError(
        () ->
            a.deleteObject(d ->
                d.bucket(bucket)
                    .key("k")
                    .versionId(v1.versionId())
                    .bypassGovernanceRetention(true)),
        403,
        "AccessDenied");
    PutObjectResponse other =
        a.putObject(p -> p.bucket(bucket).key("other"), RequestBody.fromString("o"));
    var deleted =
        a.deleteObjects(d ->
            d.bucket(bucket)
                .delete(x ->
                    x.objects(
                        ObjectIdentifier.builder()
                            .key("other")
                            .versionId(other.versionId())
                            .build(),
                        ObjectIdentifier.builder().key("other").build())));
    assertThat(deleted.errors())
        .singleElement()
        .satisfies(e -> assertThat(e.code()).isEqualTo("AccessDenied"));
    assertThat(deleted.deleted())
        .singleElement()
        .satisfies(d -> assertThat(d.deleteMarker()).isTrue());
    a.deleteBucketPolicy(r -> r.bucket(bucket));
    a.deleteObject(
        d -> d.bucket(bucket).key("k").versionId(v1.versionId()).bypassGovernanceRetention(true));
  }

  private static int send(java.net.http.HttpClient http, java.net.http.HttpRequest request) {
    try {
      return http.send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * An S3 origin passes Object Lock through: an {@link dev.leasehold.origin.S3Origin} over a store
   * that keeps locks (site B, itself a real S3 endpoint) reads and sets them, and the store refuses
   * the removal they forbid.
   */
  @Test
  void anS3OriginPassesObjectLockThrough() throws Exception {
    String bucket = lockedBucket();
    try (var origin =
        new dev.leasehold.origin.S3Origin(
            new dev.leasehold.origin.S3Origin.Settings(
                cluster.site(1).s3Endpoint(),
                "us-east-1",
                true,
                LocalCluster.CREDENTIALS.accessKey(),
                LocalCluster.CREDENTIALS.secretKey()))) {
      assertThat(origin.objectLock(bucket))
          .isEqualTo(dev.leasehold.object.LockConfiguration.ENABLED);
      var v1 =
          origin.put(
              bucket,
              "k",
              dev.leasehold.testkit.Payloads.of("kept"),
              dev.leasehold.object.ObjectMetadata.EMPTY,
              dev.leasehold.object.WriteCondition.NONE);
      Instant until = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
      var lock =
          new dev.leasehold.object.ObjectLock(
              dev.leasehold.object.ObjectLock.Mode.GOVERNANCE, until, true);
      origin.setLock(bucket, "k", v1.versionId(), l -> lock, false);
      assertThat(origin.lock(bucket, "k", v1.versionId())).isEqualTo(lock);
      assertThat(catchDenied(() -> origin.deleteVersion(bucket, "k", v1.versionId(), true)))
          .as("a legal hold holds, bypass or not")
          .isTrue();
      origin.setLock(bucket, "k", v1.versionId(), l -> l.withLegalHold(false), false);
      origin.deleteVersion(bucket, "k", v1.versionId(), true);
      assertThat(
              dev.leasehold.testkit.S3Errors.of(
                      () -> a.getObject(g -> g.bucket(bucket).key("k").versionId(v1.versionId())))
                  .statusCode())
          .as("its only version gone, the key is gone")
          .isEqualTo(404);
    }
  }

  private static boolean catchDenied(Runnable call) {
    try {
      call.run();
      return false;
    } catch (dev.leasehold.error.S3Exception e) {
      return e.error() == dev.leasehold.error.S3Error.ACCESS_DENIED;
    }
  }
}
