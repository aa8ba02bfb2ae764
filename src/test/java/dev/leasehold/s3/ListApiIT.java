package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OriginKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** ListObjects (v1), ListObjectsV2 and ListObjectVersions, against each origin. */
@ParameterizedClass(name = "origin = {0}")
@EnumSource(OriginKind.class)
class ListApiIT {
  /**
   * In S3's order (UTF-8 bytes). No key is also a "directory" of another ({@code a} with {@code
   * a/b}): S3Proxy cannot hold both; the directory origin's own tests cover that case.
   */
  static final List<String> KEYS =
      List.of(
          "a.txt",
          "a/b/1",
          "a/b/2",
          "a/c",
          "b!x",
          "b.txt",
          "b/1",
          "b/2/deep",
          "c d",
          "c+d",
          "caf\u00e9",
          "z/\u65e5\u672c");

  static LocalCluster cluster;
  static S3Client s3;
  static String bucket;

  @Parameter OriginKind origin;

  @BeforeParameterizedClassInvocation
  static void start(OriginKind origin) {
    cluster = LocalCluster.builder().origin(origin).start();
    s3 = cluster.client(0);
    bucket = Data.bucket(s3);
    for (String key : KEYS) {
      s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromString(key));
    }
  }

  @AfterParameterizedClassInvocation
  static void stop() {
    s3.close();
    cluster.close();
  }

  @Test
  void v2ListsEveryKeyInOrderWithSizesAndEtags() {
    ListObjectsV2Response page = s3.listObjectsV2(r -> r.bucket(bucket));
    assertThat(page.contents()).extracting(S3Object::key).containsExactlyElementsOf(KEYS);
    assertThat(page.keyCount()).isEqualTo(KEYS.size());
    assertThat(page.isTruncated()).isFalse();
    S3Object first = page.contents().get(0);
    assertThat(first.size()).isEqualTo(5);
    assertThat(first.eTag()).isEqualTo('"' + Data.md5Hex("a.txt".getBytes()) + '"');
    assertThat(first.lastModified()).isNotNull();
  }

  @Test
  void v2DelimiterRollsUpCommonPrefixes() {
    ListObjectsV2Response top = s3.listObjectsV2(r -> r.bucket(bucket).delimiter("/"));
    assertThat(top.contents())
        .extracting(S3Object::key)
        .containsExactly("a.txt", "b!x", "b.txt", "c d", "c+d", "caf\u00e9");
    assertThat(top.commonPrefixes())
        .extracting(CommonPrefix::prefix)
        .containsExactly("a/", "b/", "z/");

    ListObjectsV2Response inA = s3.listObjectsV2(r -> r.bucket(bucket).prefix("a/").delimiter("/"));
    assertThat(inA.contents()).extracting(S3Object::key).containsExactly("a/c");
    assertThat(inA.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("a/b/");

    ListObjectsV2Response prefixOnly = s3.listObjectsV2(r -> r.bucket(bucket).prefix("b"));
    assertThat(prefixOnly.contents())
        .extracting(S3Object::key)
        .containsExactly("b!x", "b.txt", "b/1", "b/2/deep");
  }

  @Test
  void v2PagesWithContinuationTokensNeverRepeatOrSkip() {
    for (String delimiter : new String[] {null, "/"}) {
      for (int maxKeys = 1; maxKeys <= 4; maxKeys++) {
        int max = maxKeys;
        List<String> seen = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
          String t = token;
          ListObjectsV2Response page =
              s3.listObjectsV2(
                  r -> r.bucket(bucket).maxKeys(max).delimiter(delimiter).continuationToken(t));
          assertThat(page.keyCount()).isLessThanOrEqualTo(max);
          seen.addAll(merged(page.contents(), page.commonPrefixes()));
          token = page.isTruncated() ? page.nextContinuationToken() : null;
          assertThat(++pages).isLessThan(100);
        } while (token != null);
        List<String> expected =
            delimiter == null
                ? KEYS
                : List.of("a.txt", "a/", "b!x", "b.txt", "b/", "c d", "c+d", "caf\u00e9", "z/");
        // Within a page, keys and common prefixes come in two lists (merged above); across
        // pages, everything in UTF-8 binary order, once.
        assertThat(seen)
            .as("delimiter %s max-keys %d", delimiter, max)
            .containsExactlyElementsOf(expected);
      }
    }
  }

  @Test
  void v2StartAfter() {
    assertThat(s3.listObjectsV2(r -> r.bucket(bucket).startAfter("b/1")).contents())
        .extracting(S3Object::key)
        .containsExactly("b/2/deep", "c d", "c+d", "caf\u00e9", "z/\u65e5\u672c");
  }

  @Test
  void v1PagesWithMarkerAndNextMarker() {
    List<String> seen = new ArrayList<>();
    String marker = null;
    int pages = 0;
    do {
      String m = marker;
      ListObjectsResponse page =
          s3.listObjects(r -> r.bucket(bucket).maxKeys(2).delimiter("/").marker(m));
      seen.addAll(merged(page.contents(), page.commonPrefixes()));
      marker = page.isTruncated() ? page.nextMarker() : null;
      assertThat(++pages).isLessThan(100);
    } while (marker != null);
    assertThat(seen)
        .containsExactly("a.txt", "a/", "b!x", "b.txt", "b/", "c d", "c+d", "caf\u00e9", "z/");

    ListObjectsResponse all = s3.listObjects(r -> r.bucket(bucket));
    assertThat(all.contents()).extracting(S3Object::key).containsExactlyElementsOf(KEYS);
    assertThat(all.contents().get(0).owner()).isNotNull();
  }

  /**
   * A page's keys and common prefixes as one list in UTF-8 binary order, the order S3 returns them
   * in across the two lists.
   */
  private static List<String> merged(List<S3Object> contents, List<CommonPrefix> prefixes) {
    List<String> items = new ArrayList<>();
    contents.forEach(o -> items.add(o.key()));
    prefixes.forEach(p -> items.add(p.prefix()));
    items.sort(Data.UTF8_BINARY_ORDER);
    return items;
  }

  @Test
  void versionsOfAnUnversionedBucketAreNull() {
    var versions = s3.listObjectVersions(r -> r.bucket(bucket).prefix("a/"));
    assertThat(versions.versions())
        .extracting(v -> v.key())
        .containsExactly("a/b/1", "a/b/2", "a/c");
    assertThat(versions.versions())
        .allSatisfy(v -> {
          assertThat(v.versionId()).isEqualTo("null");
          assertThat(v.isLatest()).isTrue();
        });
    var paged = s3.listObjectVersions(r -> r.bucket(bucket).maxKeys(2));
    assertThat(paged.isTruncated()).isTrue();
    assertThat(paged.nextKeyMarker()).isEqualTo("a/b/1");
    var next =
        s3.listObjectVersions(r ->
            r.bucket(bucket).maxKeys(2).keyMarker(paged.nextKeyMarker()).versionIdMarker("null"));
    assertThat(next.versions()).extracting(v -> v.key()).containsExactly("a/b/2", "a/c");
  }

  @Test
  void encodingTypeUrlEncodesKeysAndPrefixes() throws java.io.IOException {
    var signer = new dev.leasehold.testkit.Signer(LocalCluster.CREDENTIALS);
    var endpoint = cluster.site(0).s3Endpoint();
    var plain =
        signer.sign(
            "GET",
            endpoint,
            "/" + bucket + "?list-type=2&prefix=c",
            java.util.Map.of(),
            new byte[0],
            dev.leasehold.testkit.Signer.Payload.SIGNED);
    String raw = dev.leasehold.testkit.RawHttp.send(endpoint, plain.head(), plain.body()).text();
    assertThat(raw)
        .contains("<Key>c d</Key>")
        .contains("<Key>c+d</Key>")
        .contains("<Key>caf\u00e9</Key>");
    var encoded =
        signer.sign(
            "GET",
            endpoint,
            "/" + bucket + "?list-type=2&prefix=c&delimiter=%2F&encoding-type=url",
            java.util.Map.of(),
            new byte[0],
            dev.leasehold.testkit.Signer.Payload.SIGNED);
    String xml =
        dev.leasehold.testkit.RawHttp.send(endpoint, encoded.head(), encoded.body()).text();
    assertThat(xml)
        .contains("<EncodingType>url</EncodingType>")
        .contains("<Key>c%20d</Key>")
        .contains("<Key>c%2Bd</Key>")
        .contains("<Key>caf%C3%A9</Key>")
        .contains("<Delimiter>/</Delimiter>");

    // ListObjects (v1) encodes keys and common prefixes but gives its Prefix back as sent:
    // boto3, asking for encoding-type=url by default, decodes the one and not the other.
    var v1 =
        signer.sign(
            "GET",
            endpoint,
            "/" + bucket + "?prefix=c%20&encoding-type=url",
            java.util.Map.of(),
            new byte[0],
            dev.leasehold.testkit.Signer.Payload.SIGNED);
    assertThat(dev.leasehold.testkit.RawHttp.send(endpoint, v1.head(), v1.body()).text())
        .contains("<Prefix>c </Prefix>")
        .contains("<Key>c%20d</Key>");
  }

  @Test
  void maxKeysZeroAndBadArguments() {
    // An empty continuation token lists from the start, as none does.
    ListObjectsV2Response fromEmpty = s3.listObjectsV2(r -> r.bucket(bucket).continuationToken(""));
    assertThat(fromEmpty.contents().size())
        .isEqualTo(s3.listObjectsV2(r -> r.bucket(bucket)).contents().size())
        .isPositive();
    assertThat(fromEmpty.continuationToken()).as("given back as sent").isEmpty();
    ListObjectsV2Response none = s3.listObjectsV2(r -> r.bucket(bucket).maxKeys(0));
    assertThat(none.contents()).isEmpty();
    assertThat(none.isTruncated()).isFalse();
    assertThatThrownBy(
            () -> s3.listObjectsV2(r -> r.bucket(bucket).continuationToken("not-a-token")))
        .isInstanceOf(S3Exception.class)
        .satisfies(e ->
            assertThat(((S3Exception) e).awsErrorDetails().errorCode())
                .isEqualTo("InvalidArgument"));
    assertThatThrownBy(() -> s3.listObjectsV2(r -> r.bucket(bucket).maxKeys(-1)))
        .isInstanceOf(S3Exception.class)
        .satisfies(e ->
            assertThat(((S3Exception) e).awsErrorDetails().errorCode())
                .isEqualTo("InvalidArgument"));
  }
}
