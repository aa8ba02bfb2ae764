package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.object.Deletion;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.origin.S3Origin;
import dev.leasehold.testkit.Await;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Payloads;
import dev.leasehold.testkit.S3Errors;
import dev.leasehold.testkit.TwoSites;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * Versioning (Amazon S3 User Guide, "Retaining multiple versions of objects with S3 Versioning";
 * API Reference: PutBucketVersioning, ListObjectVersions, GetObject and DeleteObject with {@code
 * versionId}) at two sites over one origin: a version written at one site is read by its id at the
 * other; a delete marker hides the key everywhere; a version removed at one site is gone at the
 * other, even where it was read (and cached) before; removing the latest version makes the next
 * newest the one every site reads.
 */
class VersioningIT {
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

  private static String versioned() {
    String bucket = Data.bucket(a);
    assertThat(b.getBucketVersioning(r -> r.bucket(bucket)).status()).isNull();
    a.putBucketVersioning(r ->
        r.bucket(bucket).versioningConfiguration(c -> c.status(BucketVersioningStatus.ENABLED)));
    assertThat(b.getBucketVersioning(r -> r.bucket(bucket)).status())
        .isEqualTo(BucketVersioningStatus.ENABLED);
    return bucket;
  }

  private static String read(S3Client s3, String bucket, String key, String versionId) {
    return s3.getObjectAsBytes(g -> g.bucket(bucket).key(key).versionId(versionId)).asUtf8String();
  }

  @Test
  void versionsWrittenAtOneSiteAreReadByIdAndRemovedAtTheOther() {
    String bucket = versioned();
    PutObjectResponse v1 =
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("one"));
    PutObjectResponse v2 =
        b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("two"));
    assertThat(v1.versionId()).isNotBlank();
    assertThat(v2.versionId()).isNotBlank().isNotEqualTo(v1.versionId());

    // The latest, under leases, names its version; each version reads back by id at either site.
    var latest = a.getObjectAsBytes(g -> g.bucket(bucket).key("k"));
    assertThat(latest.asUtf8String()).isEqualTo("two");
    assertThat(latest.response().versionId()).isEqualTo(v2.versionId());
    assertThat(read(a, bucket, "k", v1.versionId())).isEqualTo("one");
    assertThat(read(b, bucket, "k", v1.versionId())).isEqualTo("one");
    assertThat(read(b, bucket, "k", v2.versionId())).isEqualTo("two");
    assertThat(b.headObject(h -> h.bucket(bucket).key("k").versionId(v1.versionId())).eTag())
        .isEqualTo(v1.eTag());
    var range =
        b.getObjectAsBytes(
            g -> g.bucket(bucket).key("k").versionId(v1.versionId()).range("bytes=1-"));
    assertThat(range.asUtf8String()).isEqualTo("ne");
    assertThat(range.response().contentRange()).isEqualTo("bytes 1-2/3");

    // A delete adds a marker: the key is gone at both sites, its versions are not.
    DeleteObjectResponse marker = b.deleteObject(d -> d.bucket(bucket).key("k"));
    assertThat(marker.deleteMarker()).isTrue();
    assertThat(marker.versionId()).isNotBlank();
    assertError(() -> a.getObject(g -> g.bucket(bucket).key("k")), 404, "NoSuchKey");
    assertError(
        () -> a.getObject(g -> g.bucket(bucket).key("k").versionId(marker.versionId())),
        405,
        "MethodNotAllowed");
    assertThat(a.listObjectsV2(l -> l.bucket(bucket)).contents()).isEmpty();
    assertThat(read(a, bucket, "k", v2.versionId())).isEqualTo("two");
    ListObjectVersionsResponse listed = a.listObjectVersions(l -> l.bucket(bucket));
    assertThat(listed.deleteMarkers()).hasSize(1);
    assertThat(listed.deleteMarkers().get(0).versionId()).isEqualTo(marker.versionId());
    assertThat(listed.deleteMarkers().get(0).isLatest()).isTrue();
    assertThat(listed.versions())
        .extracting(v -> v.versionId() + " " + v.isLatest())
        .containsExactly(v2.versionId() + " false", v1.versionId() + " false");

    // A version removed at A is gone at B, which read it (and cached its bytes) just before.
    DeleteObjectResponse removed =
        a.deleteObject(d -> d.bucket(bucket).key("k").versionId(v2.versionId()));
    assertThat(removed.versionId()).isEqualTo(v2.versionId());
    assertError(
        () -> b.getObject(g -> g.bucket(bucket).key("k").versionId(v2.versionId())),
        404,
        "NoSuchVersion");

    // Removing the marker at A makes v1 the latest, read at B (which had read the key as absent).
    assertThat(S3Errors.of(() -> b.headObject(h -> h.bucket(bucket).key("k"))).statusCode())
        .isEqualTo(404);
    DeleteObjectResponse unmarked =
        a.deleteObject(d -> d.bucket(bucket).key("k").versionId(marker.versionId()));
    assertThat(unmarked.deleteMarker()).isTrue();
    var restored = b.getObjectAsBytes(g -> g.bucket(bucket).key("k"));
    assertThat(restored.asUtf8String()).isEqualTo("one");
    assertThat(restored.response().versionId()).isEqualTo(v1.versionId());

    // Copying an older version over the key restores it as a new version.
    PutObjectResponse v3 =
        b.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("three"));
    var copied =
        a.copyObject(c ->
            c.sourceBucket(bucket)
                .sourceKey("k")
                .sourceVersionId(v1.versionId())
                .destinationBucket(bucket)
                .destinationKey("k"));
    assertThat(copied.copySourceVersionId()).isEqualTo(v1.versionId());
    assertThat(copied.versionId()).isNotBlank().isNotIn(v1.versionId(), v3.versionId());
    assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("one");
    assertThat(a.listObjectVersions(l -> l.bucket(bucket)).versions()).hasSize(3);
  }

  @Test
  void deleteObjectsRemovesNamedVersionsAndAddsMarkersForTheRest() {
    String bucket = versioned();
    PutObjectResponse x1 =
        a.putObject(p -> p.bucket(bucket).key("x"), RequestBody.fromString("x1"));
    a.putObject(p -> p.bucket(bucket).key("x"), RequestBody.fromString("x2"));
    a.putObject(p -> p.bucket(bucket).key("y"), RequestBody.fromString("y1"));
    DeleteObjectsResponse deleted =
        b.deleteObjects(d ->
            d.bucket(bucket)
                .delete(del ->
                    del.objects(
                        ObjectIdentifier.builder().key("x").versionId(x1.versionId()).build(),
                        ObjectIdentifier.builder().key("y").build())));
    assertThat(deleted.errors()).isEmpty();
    assertThat(deleted.deleted())
        .extracting(d -> d.key() + " " + d.versionId() + " " + d.deleteMarker())
        .containsExactlyInAnyOrder("x " + x1.versionId() + " null", "y null true");
    assertThat(
            deleted.deleted().stream()
                .filter(d -> d.key().equals("y"))
                .findFirst()
                .get()
                .deleteMarkerVersionId())
        .isNotBlank();
    assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("x")).asUtf8String()).isEqualTo("x2");
    assertThat(S3Errors.of(() -> a.headObject(h -> h.bucket(bucket).key("y"))).statusCode())
        .isEqualTo(404);
    assertError(
        () -> a.getObject(g -> g.bucket(bucket).key("x").versionId(x1.versionId())),
        404,
        "NoSuchVersion");
  }

  @Test
  void versionsPageByKeyAndVersionMarkers() {
    String bucket = versioned();
    for (String key : new String[] {"a", "a", "a", "b/c", "d"}) {
      b.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString(key));
    }
    List<String> paged = new ArrayList<>();
    String keyMarker = null;
    String versionMarker = null;
    for (int i = 0; i < 10; i++) {
      String km = keyMarker;
      String vm = versionMarker;
      ListObjectVersionsResponse page =
          a.listObjectVersions(l -> l.bucket(bucket).maxKeys(2).keyMarker(km).versionIdMarker(vm));
      page.versions().forEach(v -> paged.add(v.key() + " " + v.versionId()));
      if (!page.isTruncated()) {
        break;
      }
      keyMarker = page.nextKeyMarker();
      versionMarker = page.nextVersionIdMarker();
    }
    List<String> whole = new ArrayList<>();
    a.listObjectVersions(l -> l.bucket(bucket))
        .versions()
        .forEach(v -> whole.add(v.key() + " " + v.versionId()));
    assertThat(whole).hasSize(5);
    assertThat(paged).isEqualTo(whole);
    ListObjectVersionsResponse rolled = a.listObjectVersions(l -> l.bucket(bucket).delimiter("/"));
    assertThat(rolled.commonPrefixes()).extracting(p -> p.prefix()).containsExactly("b/");
    assertThat(rolled.versions()).extracting(v -> v.key()).containsExactly("a", "a", "a", "d");
  }

  @Test
  void suspendingKeepsOldVersionsAndWritesTheNullVersion() {
    String bucket = versioned();
    PutObjectResponse v1 =
        a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("one"));
    b.putBucketVersioning(r ->
        r.bucket(bucket).versioningConfiguration(c -> c.status(BucketVersioningStatus.SUSPENDED)));
    assertThat(a.getBucketVersioning(r -> r.bucket(bucket)).status())
        .isEqualTo(BucketVersioningStatus.SUSPENDED);
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("two"));
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("three"));
    assertThat(read(b, bucket, "k", "null")).isEqualTo("three");
    assertThat(read(b, bucket, "k", v1.versionId())).isEqualTo("one");
    assertThat(b.listObjectVersions(l -> l.bucket(bucket)).versions())
        .extracting(v -> v.versionId())
        .containsExactly("null", v1.versionId());
  }

  @Test
  void badVersioningRequestsAreRefusedAsS3RefusesThem() {
    String bucket = Data.bucket(a);
    assertError(
        () -> a.getObject(g -> g.bucket(bucket).key("nothing").versionId("null")),
        404,
        "NoSuchKey");
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    assertThat(read(b, bucket, "k", "null")).isEqualTo("v");
    // An id this origin could have given but did not, and one it never could.
    assertError(
        () -> b.getObject(g -> g.bucket(bucket).key("k").versionId("0".repeat(32))),
        404,
        "NoSuchVersion");
    assertError(
        () -> b.deleteObject(g -> g.bucket(bucket).key("k").versionId("not-a-version")),
        400,
        "InvalidArgument");
    // A write-back bucket acknowledges writes before the origin could name their versions.
    cluster.site(0).leases().admin().setWriteMode(bucket, true, "recall");
    Await.until(
        () -> cluster.site(0).leases().listing().overlaid(bucket),
        cluster.ttl().multipliedBy(2),
        "site A to learn that the bucket writes back");
    assertError(
        () ->
            a.putBucketVersioning(r ->
                r.bucket(bucket)
                    .versioningConfiguration(c -> c.status(BucketVersioningStatus.ENABLED))),
        409,
        "InvalidBucketState");
    assertThat(b.getBucketVersioning(r -> r.bucket(bucket)).status()).isNull();
    // There, the null version is the latest: read under leases, never the origin's older copy.
    Await.until(
        () -> {
          a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("dirty"));
          return cluster.site(0).leases().owned(bucket, "k") != null;
        },
        cluster.ttl().multipliedBy(2),
        "site A to own k, written back");
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("newest"));
    assertThat(cluster.backdoor().head(bucket, "k").size())
        .as("the origin still has the older version")
        .isNotEqualTo("newest".length());
    assertThat(read(b, bucket, "k", "null")).isEqualTo("newest");
  }

  /**
   * An S3 origin passes versions through: an {@link S3Origin} over a store that keeps versions
   * (site B, itself a real S3 endpoint) puts, reads, lists and removes them by id as that store
   * answers.
   */
  @Test
  void anS3OriginPassesVersionsThrough() throws Exception {
    String bucket = versioned();
    try (S3Origin origin =
        new S3Origin(
            new S3Origin.Settings(
                cluster.site(1).s3Endpoint(),
                "us-east-1",
                true,
                LocalCluster.CREDENTIALS.accessKey(),
                LocalCluster.CREDENTIALS.secretKey()))) {
      assertThat(origin.versioning(bucket)).isEqualTo("Enabled");
      ObjectInfo v1 =
          origin.put(bucket, "k", Payloads.of("one"), ObjectMetadata.EMPTY, WriteCondition.NONE);
      ObjectInfo v2 =
          origin.put(bucket, "k", Payloads.of("two"), ObjectMetadata.EMPTY, WriteCondition.NONE);
      assertThat(v1.versionId()).isNotBlank();
      assertThat(origin.head(bucket, "k").versionId()).isEqualTo(v2.versionId());
      ObjectInfo old = origin.headVersion(bucket, "k", v1.versionId());
      assertThat(old.etag()).isEqualTo(v1.etag());
      try (InputStream in = origin.readVersion(bucket, "k", v1.versionId(), v1.etag(), 0, 3)) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("one");
      }
      Deletion marker = origin.delete(bucket, "k", null);
      assertThat(marker.deleteMarker()).isTrue();
      assertThat(marker.versionId()).isNotBlank();
      VersionListing listed =
          origin.listVersions(bucket, new VersionListRequest("", null, null, null, 1000));
      assertThat(listed.versions())
          .extracting(v -> v.versionIdText() + (v.deleteMarker() ? " marker" : ""))
          .containsExactly(marker.versionId() + " marker", v2.versionId(), v1.versionId());
      assertThat(origin.deleteVersion(bucket, "k", marker.versionId(), false))
          .isEqualTo(new Deletion(marker.versionId(), true));
      assertThat(origin.head(bucket, "k").versionId()).isEqualTo(v2.versionId());
      // What the origin did is what every site reads.
      assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("two");
    }
  }
}
