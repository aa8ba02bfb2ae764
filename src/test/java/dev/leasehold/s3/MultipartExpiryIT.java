package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.cli.Setting;
import dev.leasehold.error.S3Exception;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Incomplete multipart uploads expire (multipart-expiry, here 3 s) with their parts deleted at the
 * origin, and a bucket holds at most max-uploads (here 2) in progress: the AWS SDK against a site
 * over the directory origin, which the test also reads directly.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MultipartExpiryIT {
  @Test
  void incompleteUploadsExpireAndABucketHoldsAtMostMaxUploads() {
    try (LocalCluster cluster =
            LocalCluster.builder()
                .set(Setting.MULTIPART_EXPIRY, "3s")
                .set(Setting.MAX_UPLOADS, "2")
                .start();
        S3Client s3 = cluster.client(0)) {
      String bucket = Data.bucket(s3);
      String first = s3.createMultipartUpload(c -> c.bucket(bucket).key("a")).uploadId();
      s3.uploadPart(
          p -> p.bucket(bucket).key("a").uploadId(first).partNumber(1),
          RequestBody.fromBytes(Data.bytes(1024, 1)));
      String second = s3.createMultipartUpload(c -> c.bucket(bucket).key("b")).uploadId();
      assertThatThrownBy(() -> s3.createMultipartUpload(c -> c.bucket(bucket).key("d")))
          .isInstanceOfSatisfying(
              software.amazon.awssdk.services.s3.model.S3Exception.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(503);
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SlowDown");
              });
      assertThat(s3.listMultipartUploads(l -> l.bucket(bucket)).uploads()).hasSize(2);

      // Past the expiry, the sweep aborts both; their parts go with them at the origin.
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> s3.listMultipartUploads(l -> l.bucket(bucket)).uploads().isEmpty());
      assertThat(
              cluster
                  .backdoor()
                  .listUploads(bucket, new UploadListRequest("", null, null, null, 1000))
                  .uploads())
          .isEmpty();
      for (String[] u : new String[][] {{"a", first}, {"b", second}}) {
        assertThatThrownBy(() -> cluster.backdoor().listParts(bucket, u[0], u[1], 0, 1000))
            .isInstanceOfSatisfying(
                S3Exception.class, e -> assertThat(e.error().code()).isEqualTo("NoSuchUpload"));
      }
      // And the bucket takes new uploads again.
      String again = s3.createMultipartUpload(c -> c.bucket(bucket).key("d")).uploadId();
      assertThat(again).isNotEmpty();
    }
  }
}
