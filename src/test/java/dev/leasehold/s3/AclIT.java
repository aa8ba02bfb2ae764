package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cli.Setting;
import dev.leasehold.testkit.Anonymous;
import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.Grant;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.ObjectOwnership;
import software.amazon.awssdk.services.s3.model.Permission;
import software.amazon.awssdk.services.s3.model.Type;

/**
 * ACLs (Amazon S3 User Guide, "Access control list (ACL) overview", "Canned ACL", "Controlling
 * ownership of objects and disabling ACLs", "Blocking public access") at two sites: a bucket's ACL
 * set at one site opens or closes it at the other; an object's ACL changed at one site holds at the
 * other at once (it is kept with the object, under its leases); a grant to another key's canonical
 * id lets that key do what its own scope does not; ACLs are refused where the bucket disables them,
 * and public ones where the public access block says so.
 */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class AclIT {
  static final String OWNER = LocalCluster.CREDENTIALS.accessKey();

  /** Another key, scoped to no bucket: only grants let it in anywhere. */
  static final Credentials OTHER =
      new Credentials("LHOTHERACL000001", "other-secret-0123456789abcdefgh");

  static final String ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

  @Parameter OriginKind origin;

  static LocalCluster cluster;
  static S3Client a;
  static S3Client b;
  static S3Client other;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind origin) throws IOException {
    Path keys = Files.createTempFile("acl-it-credentials", ".yaml");
    keys.toFile().deleteOnExit();
    Files.writeString(
        keys,
        "keys:\n  - access-key: "
            + OTHER.accessKey()
            + "\n    secret-key: \""
            + OTHER.secretKey()
            + "\"\n    buckets: [nothing-of-its-own]\n    access: read-write\n",
        StandardCharsets.UTF_8);
    cluster =
        LocalCluster.builder()
            .origin(origin)
            .sites(2)
            .set(Setting.CREDENTIALS, keys.toString())
            .start();
    a = cluster.client(0);
    b = cluster.client(1);
    other = Clients.s3(cluster.s3(1), OTHER);
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    a.close();
    b.close();
    other.close();
    cluster.close();
  }

  private static int anonymous(int site, String method, String bucket, String key) {
    return Anonymous.request(cluster.s3(site), method, bucket, key).statusCode();
  }

  @Test
  void aBucketAclSetAtOneSiteOpensAndClosesItsListingAtTheOther() {
    String bucket = "acl-" + ProcessHandle.current().pid() + "-list-" + origin.ordinal();
    a.createBucket(c -> c.bucket(bucket).acl(BucketCannedACL.PUBLIC_READ));
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("private"));

    List<Grant> grants = b.getBucketAcl(r -> r.bucket(bucket)).grants();
    assertThat(grants)
        .extracting(g ->
            g.permission()
                + " "
                + (g.grantee().type() == Type.GROUP ? g.grantee().uri() : g.grantee().id()))
        .containsExactly("READ " + ALL_USERS, "FULL_CONTROL " + OWNER);
    assertThat(anonymous(1, "GET", bucket, null)).as("an anonymous listing at B").isEqualTo(200);
    assertThat(anonymous(1, "GET", bucket, "k")).as("the object stays private").isEqualTo(403);
    assertThat(anonymous(1, "GET", bucket, "missing"))
        .as("one who may list the bucket learns that a key is not there")
        .isEqualTo(404);
    assertThat(anonymous(1, "PUT", bucket, "new")).as("READ is not WRITE").isEqualTo(403);

    b.putBucketAcl(r -> r.bucket(bucket).acl(BucketCannedACL.PRIVATE));
    Await.until(
        () -> anonymous(0, "GET", bucket, null) == 403,
        cluster.ttl(),
        "site A to close the listing made private at site B");
    assertThat(a.getBucketAcl(r -> r.bucket(bucket)).grants()).hasSize(1);
  }

  @Test
  void anObjectAclChangedAtOneSiteHoldsAtTheOtherAtOnce() {
    String bucket = Data.bucket(a);
    a.putObject(
        p -> p.bucket(bucket).key("k").acl(ObjectCannedACL.PUBLIC_READ),
        RequestBody.fromString("shared"));
    assertThat(Anonymous.request(cluster.s3(1), "GET", bucket, "k").body()).isEqualTo("shared");
    assertThat(b.getObjectAcl(r -> r.bucket(bucket).key("k")).grants())
        .extracting(Grant::permission)
        .containsExactly(Permission.READ, Permission.FULL_CONTROL);
    // The ACL is never shown as user metadata, nor may a client set its name.
    assertThat(b.headObject(h -> h.bucket(bucket).key("k")).metadata()).isEmpty();
    assertError(
        () ->
            a.putObject(
                p ->
                    p.bucket(bucket)
                        .key("x")
                        .metadata(java.util.Map.of("leasehold-acl", "READ:all")),
                RequestBody.fromString("x")),
        400,
        "InvalidArgument");

    // Made private at A: B, which just served it to everyone, refuses at once (no wait).
    a.putObjectAcl(r -> r.bucket(bucket).key("k").acl(ObjectCannedACL.PRIVATE));
    assertThat(anonymous(1, "GET", bucket, "k")).isEqualTo(403);
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("shared");

    // A grant to another key's canonical id lets it read this object, and nothing else.
    b.putObjectAcl(r ->
        r.bucket(bucket)
            .key("k")
            .accessControlPolicy(p ->
                p.owner(o -> o.id(OWNER))
                    .grants(
                        Grant.builder()
                            .grantee(g -> g.type(Type.CANONICAL_USER).id(OWNER))
                            .permission(Permission.FULL_CONTROL)
                            .build(),
                        Grant.builder()
                            .grantee(g -> g.type(Type.CANONICAL_USER).id(OTHER.accessKey()))
                            .permission(Permission.READ)
                            .build())));
    assertThat(other.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("shared");
    assertError(
        () -> other.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("no")),
        403,
        "AccessDenied");
    assertError(() -> other.getObjectAcl(r -> r.bucket(bucket).key("k")), 403, "AccessDenied");
    assertError(() -> other.listObjectsV2(l -> l.bucket(bucket)), 403, "AccessDenied");

    // A copy has the ACL its request names, not its source's.
    a.putObjectAcl(r -> r.bucket(bucket).key("k").acl(ObjectCannedACL.PUBLIC_READ));
    a.copyObject(c ->
        c.sourceBucket(bucket).sourceKey("k").destinationBucket(bucket).destinationKey("copy"));
    assertThat(anonymous(1, "GET", bucket, "copy")).isEqualTo(403);
    assertThat(anonymous(1, "GET", bucket, "k")).isEqualTo(200);
  }

  @Test
  void aBucketGrantLetsAnotherKeyWriteWhereItsScopeDoesNot() {
    String bucket = Data.bucket(a);
    assertError(
        () -> other.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("x")),
        403,
        "AccessDenied");
    a.putBucketAcl(r ->
        r.bucket(bucket)
            .grantWrite("id=\"" + OTHER.accessKey() + "\"")
            .grantFullControl("id=\"" + OWNER + "\""));
    Await.until(
        () -> {
          try {
            other.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("theirs"));
            return true;
          } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            return false;
          }
        },
        cluster.ttl(),
        "site B to let the other key write under the grant made at site A");
    assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
        .isEqualTo("theirs");
    other.deleteObject(d -> d.bucket(bucket).key("k"));
    assertError(() -> other.listObjectsV2(l -> l.bucket(bucket)), 403, "AccessDenied");
    assertError(
        () -> a.putBucketAcl(r -> r.bucket(bucket).grantRead("emailAddress=\"x@example.com\"")),
        400,
        "UnresolvableGrantByEmailAddress");
    assertError(
        () ->
            a.putBucketAcl(
                r -> r.bucket(bucket).acl(BucketCannedACL.PRIVATE).grantRead("id=\"x\"")),
        400,
        "InvalidRequest");
    assertError(
        () -> a.putBucketAcl(r -> r.bucket(bucket).grantRead("id=\"nobody-has-this-key\"")),
        400,
        "InvalidArgument");
    // An ACL that grants nothing is kept as such; the owner's key keeps its rights.
    a.putBucketAcl(r -> r.bucket(bucket).accessControlPolicy(p -> p.owner(o -> o.id(OWNER))));
    assertThat(a.getBucketAcl(r -> r.bucket(bucket)).grants()).isEmpty();
    assertThat(a.listObjectsV2(l -> l.bucket(bucket)).contents()).isEmpty();
  }

  @Test
  void aclsAreRefusedWhereTheBucketDisablesThemOrBlocksPublicOnes() {
    String name = "acl-" + ProcessHandle.current().pid() + "-enforced-" + origin.ordinal();
    assertError(
        () ->
            a.createBucket(c ->
                c.bucket(name)
                    .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                    .acl(BucketCannedACL.PUBLIC_READ)),
        400,
        "InvalidBucketAclWithObjectOwnership");
    a.createBucket(c -> c.bucket(name).objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED));
    assertThat(b.getBucketOwnershipControls(r -> r.bucket(name)).ownershipControls().rules())
        .singleElement()
        .satisfies(
            r -> assertThat(r.objectOwnership()).isEqualTo(ObjectOwnership.BUCKET_OWNER_ENFORCED));
    assertError(
        () ->
            b.putObject(
                p -> p.bucket(name).key("k").acl(ObjectCannedACL.PUBLIC_READ),
                RequestBody.fromString("v")),
        400,
        "AccessControlListNotSupported");
    b.putObject(
        p -> p.bucket(name).key("k").acl(ObjectCannedACL.BUCKET_OWNER_FULL_CONTROL),
        RequestBody.fromString("v"));

    // Ownership back to ObjectWriter: ACLs work again.
    a.putBucketOwnershipControls(r ->
        r.bucket(name)
            .ownershipControls(
                c -> c.rules(x -> x.objectOwnership(ObjectOwnership.OBJECT_WRITER))));
    a.putObject(
        p -> p.bucket(name).key("public").acl(ObjectCannedACL.PUBLIC_READ),
        RequestBody.fromString("p"));
    assertThat(anonymous(0, "GET", name, "public")).isEqualTo(200);

    // The public access block: public ACLs refused, and those there ignored.
    a.putPublicAccessBlock(r ->
        r.bucket(name)
            .publicAccessBlockConfiguration(c -> c.blockPublicAcls(true).ignorePublicAcls(true)));
    assertError(
        () ->
            a.putObject(
                p -> p.bucket(name).key("more").acl(ObjectCannedACL.PUBLIC_READ),
                RequestBody.fromString("m")),
        403,
        "AccessDenied");
    Await.until(
        () -> anonymous(1, "GET", name, "public") == 403,
        cluster.ttl(),
        "site B to ignore the public ACL under the access block set at site A");
    a.deletePublicAccessBlock(r -> r.bucket(name));
    Await.until(
        () -> anonymous(1, "GET", name, "public") == 200,
        cluster.ttl(),
        "site B to honour the public ACL again");
  }
}
