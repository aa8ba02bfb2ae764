package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Anonymous;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.TwoSites;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.TaggingDirective;

/**
 * Object tags (Amazon S3 User Guide, "Categorizing your storage using tags"; API Reference:
 * PutObjectTagging, GetObjectTagging, DeleteObjectTagging, and {@code x-amz-tagging} on PutObject
 * and CopyObject) at two sites: tags written with an object or set at one site are read at the
 * other at once; a copy keeps its source's tags unless it replaces them; tags S3 would refuse are
 * 400 {@code InvalidTag}.
 */
class ObjectTaggingIT {
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

  private static List<String> tags(S3Client s3, String bucket, String key) {
    List<String> out = new ArrayList<>();
    s3.getObjectTagging(r -> r.bucket(bucket).key(key))
        .tagSet()
        .forEach(t -> out.add(t.key() + "=" + t.value()));
    return out;
  }

  @Test
  void tagsSetAtOneSiteAreReadAtTheOtherAtOnce() {
    String bucket = Data.bucket(a);
    a.putObject(
        p -> p.bucket(bucket).key("k").tagging("team=storage&empty=&spaced%20key=a%26b"),
        RequestBody.fromString("v"));
    assertThat(tags(b, bucket, "k")).containsExactly("empty=", "spaced key=a&b", "team=storage");
    assertThat(b.getObject(g -> g.bucket(bucket).key("k")).response().tagCount()).isEqualTo(3);
    assertThat(b.headObject(h -> h.bucket(bucket).key("k")).metadata()).isEmpty();

    b.putObjectTagging(r ->
        r.bucket(bucket)
            .key("k")
            .tagging(t -> t.tagSet(Tag.builder().key("stage").value("prod").build())));
    assertThat(tags(a, bucket, "k")).containsExactly("stage=prod");
    assertThat(a.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String()).isEqualTo("v");

    // A copy keeps its source's tags unless it replaces them.
    a.copyObject(c ->
        c.sourceBucket(bucket).sourceKey("k").destinationBucket(bucket).destinationKey("kept"));
    assertThat(tags(b, bucket, "kept")).containsExactly("stage=prod");
    a.copyObject(c ->
        c.sourceBucket(bucket)
            .sourceKey("k")
            .destinationBucket(bucket)
            .destinationKey("replaced")
            .taggingDirective(TaggingDirective.REPLACE)
            .tagging("new=1"));
    assertThat(tags(b, bucket, "replaced")).containsExactly("new=1");

    a.deleteObjectTagging(r -> r.bucket(bucket).key("k"));
    assertThat(tags(b, bucket, "k")).isEmpty();
  }

  @Test
  void tagsS3WouldRefuseAreRefused() {
    String bucket = Data.bucket(a);
    a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("v"));
    List<Tag> eleven = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      eleven.add(Tag.builder().key("k" + i).value("v").build());
    }
    assertError(
        () -> a.putObjectTagging(r -> r.bucket(bucket).key("k").tagging(t -> t.tagSet(eleven))),
        400,
        "InvalidTag");
    assertError(
        () ->
            a.putObjectTagging(r ->
                r.bucket(bucket)
                    .key("k")
                    .tagging(t -> t.tagSet(Tag.builder().key("x".repeat(129)).value("v").build()))),
        400,
        "InvalidTag");
    assertThat(tags(b, bucket, "k")).isEmpty();
    assertError(
        () ->
            b.putObjectTagging(
                r -> r.bucket(bucket).key("missing").tagging(t -> t.tagSet(List.of()))),
        404,
        "NoSuchKey");
  }

  /** A policy may name an object's tags: here, everyone may read objects tagged public=yes. */
  @Test
  void aPolicyConditionOnAnObjectsTagsIsDecidedByItsTags() {
    String bucket = Data.bucket(a);
    a.putObject(
        p -> p.bucket(bucket).key("open").tagging("public=yes"), RequestBody.fromString("o"));
    a.putObject(
        p -> p.bucket(bucket).key("closed").tagging("public=no"), RequestBody.fromString("c"));
    a.putBucketPolicy(r ->
        r.bucket(bucket)
            .policy(
                """
                {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::%s/*",
                  "Condition": {"StringEquals": {"s3:ExistingObjectTag/public": "yes"}}}]}
                """
                    .formatted(bucket)));
    assertThat(Anonymous.request(cluster.s3(0), "GET", bucket, "open").body()).isEqualTo("o");
    assertThat(Anonymous.request(cluster.s3(0), "GET", bucket, "closed").statusCode())
        .isEqualTo(403);
    // Retagged at the other site: the policy's answer follows the tags at once.
    b.putObjectTagging(r ->
        r.bucket(bucket)
            .key("closed")
            .tagging(t -> t.tagSet(Tag.builder().key("public").value("yes").build())));
    assertThat(Anonymous.request(cluster.s3(0), "GET", bucket, "closed").body()).isEqualTo("c");
  }
}
