package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Keys S3 holds but file-system-backed stores often cannot: one key that is another's "directory",
 * trailing and doubled slashes, literal dot segments. Through a site over the directory origin
 * (S3Proxy, the test's S3 server, cannot store them; a real S3 origin holds them as S3 does).
 */
class AwkwardKeysIT {
  static LocalCluster cluster;
  static S3Client s3;

  @BeforeAll
  static void start() {
    cluster = LocalCluster.builder().start();
    s3 = cluster.client(0);
  }

  @AfterAll
  static void stop() {
    s3.close();
    cluster.close();
  }

  @Test
  void everyKeyIsItsOwnObject() {
    String bucket = Data.bucket(s3);
    List<String> keys =
        List.of(
            "a",
            "a/b",
            "a/b/c",
            "folder/",
            "double//slash",
            "dots/../are/./literal",
            "dots/are/literal");
    for (String key : keys) {
      s3.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString("value of " + key));
    }
    for (String key : keys) {
      assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asUtf8String())
          .as(key)
          .isEqualTo("value of " + key);
    }
    assertThat(s3.listObjectsV2(l -> l.bucket(bucket)).contents())
        .extracting(o -> o.key())
        .containsExactly(
            "a",
            "a/b",
            "a/b/c",
            "dots/../are/./literal",
            "dots/are/literal",
            "double//slash",
            "folder/");
    s3.deleteObject(d -> d.bucket(bucket).key("a/b"));
    assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("a/b/c")).asUtf8String())
        .isEqualTo("value of a/b/c");
  }
}
