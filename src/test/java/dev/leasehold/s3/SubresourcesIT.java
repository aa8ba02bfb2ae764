package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import dev.leasehold.testkit.Scrape;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.GetBucketAclResponse;
import software.amazon.awssdk.services.s3.model.Grant;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.ObjectOwnership;
import software.amazon.awssdk.services.s3.model.Payer;
import software.amazon.awssdk.services.s3.model.Permission;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.Type;

/**
 * The sub-resources a site keeps no configuration for, answered as S3 answers a bucket that has
 * none (Amazon S3 API reference, each operation's page), and ACLs where a bucket disables them
 * ("Controlling ownership of objects and disabling ACLs" in the User Guide: with {@code
 * BucketOwnerEnforced} the owner has full control, and a request that sets any other ACL fails with
 * AccessControlListNotSupported). Driven with the AWS SDK for Java v2, against each origin.
 */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class SubresourcesIT {
  static LocalCluster cluster;
  static S3Client s3;
  static final String OWNER = LocalCluster.CREDENTIALS.accessKey();

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

  @Test
  void aBucketWithAclsDisabledHasOnlyTheOwnersFullControl() {
    String bucket = Data.bucket(s3);
    s3.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    // Never set: the owner's ACL, and no ownership controls (ACLs on, as S3 buckets before 2023).
    GetBucketAclResponse acl = s3.getBucketAcl(r -> r.bucket(bucket));
    assertThat(acl.owner().id()).isEqualTo(OWNER);
    assertThat(acl.grants()).singleElement().satisfies(SubresourcesIT::isOwnersFullControl);
    var objectAcl = s3.getObjectAcl(r -> r.bucket(bucket).key("k"));
    assertThat(objectAcl.owner().id()).isEqualTo(OWNER);
    assertThat(objectAcl.grants()).singleElement().satisfies(SubresourcesIT::isOwnersFullControl);
    assertError(() -> s3.getObjectAcl(r -> r.bucket(bucket).key("missing")), 404, "NoSuchKey");
    assertError(
        () -> s3.getBucketOwnershipControls(r -> r.bucket(bucket)),
        404,
        "OwnershipControlsNotFoundError");

    s3.putBucketOwnershipControls(r ->
        r.bucket(bucket)
            .ownershipControls(
                c -> c.rules(x -> x.objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED))));
    assertThat(s3.getBucketOwnershipControls(r -> r.bucket(bucket)).ownershipControls().rules())
        .singleElement()
        .satisfies(rule ->
            assertThat(rule.objectOwnership()).isEqualTo(ObjectOwnership.BUCKET_OWNER_ENFORCED));
    // Asking for what is there changes nothing and succeeds; asking for more is refused.
    s3.putBucketAcl(r -> r.bucket(bucket).acl(BucketCannedACL.PRIVATE));
    s3.putObjectAcl(r -> r.bucket(bucket).key("k").acl(ObjectCannedACL.BUCKET_OWNER_FULL_CONTROL));
    s3.putObjectAcl(r ->
        r.bucket(bucket)
            .key("k")
            .accessControlPolicy(p ->
                p.owner(o -> o.id(OWNER))
                    .grants(
                        Grant.builder()
                            .grantee(g -> g.type(Type.CANONICAL_USER).id(OWNER))
                            .permission(Permission.FULL_CONTROL)
                            .build())));
    assertError(
        () -> s3.putBucketAcl(r -> r.bucket(bucket).acl(BucketCannedACL.PUBLIC_READ)),
        400,
        "AccessControlListNotSupported");
    assertError(
        () ->
            s3.putObjectAcl(r ->
                r.bucket(bucket)
                    .key("k")
                    .accessControlPolicy(p ->
                        p.owner(o -> o.id(OWNER))
                            .grants(
                                Grant.builder()
                                    .grantee(g ->
                                        g.type(Type.GROUP)
                                            .uri("http://acs.amazonaws.com/groups/global/AllUsers"))
                                    .permission(Permission.READ)
                                    .build()))),
        400,
        "AccessControlListNotSupported");
    assertError(
        () ->
            s3.putObject(
                p -> p.bucket(bucket).key("k").acl(ObjectCannedACL.PUBLIC_READ),
                RequestBody.fromString("v")),
        400,
        "AccessControlListNotSupported");
    s3.deleteBucketOwnershipControls(r -> r.bucket(bucket));
    s3.putBucketAcl(r -> r.bucket(bucket).acl(BucketCannedACL.PUBLIC_READ));
    assertThat(s3.getBucketAcl(r -> r.bucket(bucket)).grants()).hasSize(2);
    assertError(
        () ->
            s3.putBucketOwnershipControls(r ->
                r.bucket(bucket)
                    .ownershipControls(c ->
                        c.rules(x -> x.objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)))),
        400,
        "InvalidBucketAclWithObjectOwnership");
  }

  /**
   * A write that asks for what this site does not do fails with the 4xx S3 gives, which clients do
   * not retry, and writes nothing; STANDARD and the owner's own ACL pass.
   */
  @Test
  void writesAskingForMoreThanTheSiteDoesAreRefusedWithNothingWritten() {
    String bucket = Data.bucket(s3);
    assertError(
        () ->
            s3.putObject(
                p -> p.bucket(bucket).key("k").storageClass(StorageClass.GLACIER),
                RequestBody.fromString("v")),
        400,
        "InvalidStorageClass");
    assertError(
        () ->
            s3.putObject(
                p -> p.bucket(bucket).key("k").serverSideEncryption(ServerSideEncryption.AES256),
                RequestBody.fromString("v")),
        400,
        "InvalidArgument");
    assertError(
        () ->
            s3.putObject(
                p ->
                    p.bucket(bucket)
                        .key("k")
                        .objectLockMode(ObjectLockMode.GOVERNANCE)
                        .objectLockRetainUntilDate(java.time.Instant.now().plusSeconds(3600)),
                RequestBody.fromString("v")),
        400,
        "InvalidRequest");
    assertError(
        () ->
            s3.createMultipartUpload(
                c -> c.bucket(bucket).key("k").storageClass(StorageClass.STANDARD_IA)),
        400,
        "InvalidStorageClass");
    ObjectApiIT.assertStatus(() -> s3.headObject(h -> h.bucket(bucket).key("k")), 404);
    assertThat(s3.listMultipartUploads(l -> l.bucket(bucket)).uploads()).isEmpty();

    s3.putObject(
        p ->
            p.bucket(bucket)
                .key("k")
                .storageClass(StorageClass.STANDARD)
                .acl(ObjectCannedACL.PRIVATE),
        RequestBody.fromString("v"));
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("v");
    assertError(
        () ->
            s3.createBucket(c ->
                c.bucket(bucket + "-public")
                    .acl(BucketCannedACL.PUBLIC_READ)
                    .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)),
        400,
        "InvalidBucketAclWithObjectOwnership");
    ObjectApiIT.assertStatus(() -> s3.headBucket(h -> h.bucket(bucket + "-public")), 404);
  }

  /** Configurations never set: NoSuch… for those S3 answers so, empty ones for the rest. */
  @Test
  void configurationsThatWereNeverSet() {
    String bucket = Data.bucket(s3);
    assertError(() -> s3.getBucketCors(r -> r.bucket(bucket)), 404, "NoSuchCORSConfiguration");
    assertError(() -> s3.getBucketPolicy(r -> r.bucket(bucket)), 404, "NoSuchBucketPolicy");
    assertError(
        () -> s3.getBucketLifecycleConfiguration(r -> r.bucket(bucket)),
        404,
        "NoSuchLifecycleConfiguration");
    assertError(() -> s3.getBucketTagging(r -> r.bucket(bucket)), 404, "NoSuchTagSet");
    assertError(
        () -> s3.getBucketEncryption(r -> r.bucket(bucket)),
        404,
        "ServerSideEncryptionConfigurationNotFoundError");
    assertError(
        () -> s3.getBucketWebsite(r -> r.bucket(bucket)), 404, "NoSuchWebsiteConfiguration");
    assertError(
        () -> s3.getObjectLockConfiguration(r -> r.bucket(bucket)),
        404,
        "ObjectLockConfigurationNotFoundError");
    assertError(
        () -> s3.getPublicAccessBlock(r -> r.bucket(bucket)),
        404,
        "NoSuchPublicAccessBlockConfiguration");
    assertError(
        () -> s3.getBucketReplication(r -> r.bucket(bucket)),
        404,
        "ReplicationConfigurationNotFoundError");

    assertThat(s3.getBucketRequestPayment(r -> r.bucket(bucket)).payer())
        .isEqualTo(Payer.BUCKET_OWNER);
    s3.putBucketRequestPayment(
        r -> r.bucket(bucket).requestPaymentConfiguration(c -> c.payer(Payer.BUCKET_OWNER)));
    assertError(
        () ->
            s3.putBucketRequestPayment(
                r -> r.bucket(bucket).requestPaymentConfiguration(c -> c.payer(Payer.REQUESTER))),
        501,
        "NotImplemented");
    assertThat(s3.getBucketLogging(r -> r.bucket(bucket)).loggingEnabled()).isNull();
    assertThat(s3.getBucketAccelerateConfiguration(r -> r.bucket(bucket)).status()).isNull();
    var notifications = s3.getBucketNotificationConfiguration(r -> r.bucket(bucket));
    assertThat(notifications.topicConfigurations()).isEmpty();
    assertThat(notifications.queueConfigurations()).isEmpty();
    assertThat(notifications.lambdaFunctionConfigurations()).isEmpty();
    assertThat(
            s3.listBucketAnalyticsConfigurations(r -> r.bucket(bucket))
                .analyticsConfigurationList())
        .isEmpty();

    s3.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    assertThat(s3.getObjectTagging(r -> r.bucket(bucket).key("k")).tagSet()).isEmpty();
    assertError(() -> s3.getObjectRetention(r -> r.bucket(bucket).key("k")), 400, "InvalidRequest");
    assertError(() -> s3.getObjectLegalHold(r -> r.bucket(bucket).key("k")), 400, "InvalidRequest");

    // Deleting what was never set succeeds, as in S3; setting it is not implemented.
    s3.deleteBucketCors(r -> r.bucket(bucket));
    s3.deleteBucketPolicy(r -> r.bucket(bucket));
    s3.deleteBucketLifecycle(r -> r.bucket(bucket));
    s3.deleteBucketTagging(r -> r.bucket(bucket));
    s3.deleteObjectTagging(r -> r.bucket(bucket).key("k"));
    assertError(
        () ->
            s3.putBucketEncryption(r ->
                r.bucket(bucket)
                    .serverSideEncryptionConfiguration(c ->
                        c.rules(x ->
                            x.applyServerSideEncryptionByDefault(d -> d.sseAlgorithm("AES256"))))),
        501,
        "NotImplemented");

    assertError(() -> s3.getBucketCors(r -> r.bucket(bucket + "-none")), 404, "NoSuchBucket");
    assertError(() -> s3.getObjectTagging(r -> r.bucket(bucket).key("missing")), 404, "NoSuchKey");
  }

  /** {@code x-amz-expected-bucket-owner}: the owner's id passes, any other is AccessDenied. */
  @Test
  void expectedBucketOwner() {
    String bucket = Data.bucket(s3);
    s3.putObject(p -> p.bucket(bucket).key("k").expectedBucketOwner(OWNER), RequestBody.empty());
    assertError(
        () -> s3.getObject(g -> g.bucket(bucket).key("k").expectedBucketOwner("111122223333")),
        403,
        "AccessDenied");
    assertThat(
            s3.getObjectAsBytes(g -> g.bucket(bucket).key("k").expectedBucketOwner(OWNER))
                .asByteArray())
        .isEmpty();
  }

  /** The metrics and the access log name each sub-resource operation as itself. */
  @Test
  void everySubresourceOperationIsCountedAsItself() throws InterruptedException {
    URI admin = cluster.site(0).adminEndpoint();
    Scrape initial = Scrape.of(admin);
    String bucket = Data.bucket(s3);
    // A request is counted just after its answer is sent: the counts start once the bucket's
    // creation is among them.
    Scrape before = Scrape.of(admin);
    for (int i = 0; i < 100 && count(initial, before, "CreateBucket") < 1; i++) {
      Thread.sleep(20);
      before = Scrape.of(admin);
    }
    assertThat(count(initial, before, "CreateBucket")).isEqualTo(1);
    s3.getBucketAcl(r -> r.bucket(bucket));
    assertError(() -> s3.getBucketCors(r -> r.bucket(bucket)), 404, "NoSuchCORSConfiguration");
    assertError(
        () -> s3.putBucketLifecycleConfiguration(r -> r.bucket(bucket)), 501, "NotImplemented");
    Scrape after = before;
    for (int i = 0; i < 100 && count(before, after, "PutBucketLifecycleConfiguration") < 1; i++) {
      Thread.sleep(20); // a request is counted just after its answer is sent
      after = Scrape.of(admin);
    }
    assertThat(count(before, after, "GetBucketAcl")).isEqualTo(1);
    assertThat(count(before, after, "GetBucketCors")).isEqualTo(1);
    assertThat(count(before, after, "PutBucketLifecycleConfiguration")).isEqualTo(1);
    assertThat(count(before, after, "ListObjects")).isZero();
    assertThat(count(before, after, "CreateBucket")).isZero();
  }

  private static double count(Scrape before, Scrape after, String operation) {
    return after.value("leasehold_s3_requests_total", "operation", operation)
        - before.value("leasehold_s3_requests_total", "operation", operation);
  }

  private static void isOwnersFullControl(Grant grant) {
    assertThat(grant.permission()).isEqualTo(Permission.FULL_CONTROL);
    assertThat(grant.grantee().type()).isEqualTo(Type.CANONICAL_USER);
    assertThat(grant.grantee().id()).isEqualTo(OWNER);
  }
}
