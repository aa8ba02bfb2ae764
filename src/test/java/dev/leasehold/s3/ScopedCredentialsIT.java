package dev.leasehold.s3;

import static dev.leasehold.testkit.S3Errors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cli.Setting;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.S3Errors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * Key pairs from --credentials FILE, each limited to its buckets and to reading or writing: the AWS
 * SDK signing with each against a real site. Outside its scope a request is 403 AccessDenied (as
 * AWS answers a request its policies deny), an unknown key 403 InvalidAccessKeyId, and a change to
 * the file takes effect without a restart.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ScopedCredentialsIT {
  private static final Credentials READER =
      new Credentials("LHREADEROPEN0001", "reader-secret-0123456789abcdef");
  private static final Credentials WRITER =
      new Credentials("LHWRITEROPEN0001", "writer-secret-0123456789abcdef");
  private static final Credentials EVERYWHERE =
      new Credentials("LHREADERALL00001", "all-reader-secret-0123456789ab");

  @TempDir Path dir;

  @Test
  void eachKeyStaysInItsScopeAndAChangedFileTakesEffect() throws IOException, InterruptedException {
    Path file = dir.resolve("credentials.yaml");
    write(
        file,
        key(READER, "[open]", "read-only")
            + key(WRITER, "[open]", "read-write")
            + key(EVERYWHERE, "[\"*\"]", "read-only"));
    try (LocalCluster cluster =
            LocalCluster.builder().set(Setting.CREDENTIALS, file.toString()).start();
        S3Client own = cluster.client(0);
        S3Client reader = Clients.s3(cluster.s3(0), READER);
        S3Client writer = Clients.s3(cluster.s3(0), WRITER);
        S3Client everywhere = Clients.s3(cluster.s3(0), EVERYWHERE)) {
      // The site's own pair does everything, as before.
      own.createBucket(b -> b.bucket("open"));
      own.createBucket(b -> b.bucket("closed"));
      own.putObject(p -> p.bucket("open").key("a"), RequestBody.fromString("open a"));
      own.putObject(p -> p.bucket("closed").key("a"), RequestBody.fromString("closed a"));

      // Read-only, one bucket.
      assertThat(reader.getObjectAsBytes(g -> g.bucket("open").key("a")).asUtf8String())
          .isEqualTo("open a");
      assertThat(reader.listObjectsV2(l -> l.bucket("open")).contents()).hasSize(1);
      assertThat(reader.listBuckets().buckets()).extracting(Bucket::name).containsExactly("open");
      assertError(
          () -> reader.putObject(p -> p.bucket("open").key("b"), RequestBody.fromString("x")),
          403,
          "AccessDenied");
      assertError(() -> reader.deleteObject(d -> d.bucket("open").key("a")), 403, "AccessDenied");
      assertError(
          () -> reader.createMultipartUpload(c -> c.bucket("open").key("m")), 403, "AccessDenied");
      assertError(() -> reader.getObject(g -> g.bucket("closed").key("a")), 403, "AccessDenied");
      assertError(() -> reader.listObjectsV2(l -> l.bucket("closed")), 403, "AccessDenied");
      assertThat(S3Errors.of(() -> reader.headBucket(h -> h.bucket("closed"))).statusCode())
          .isEqualTo(403);

      // Read-write, one bucket: it may write there, but not copy in what it may not read.
      writer.putObject(p -> p.bucket("open").key("b"), RequestBody.fromString("written"));
      writer.copyObject(c ->
          c.sourceBucket("open").sourceKey("a").destinationBucket("open").destinationKey("copy"));
      assertThat(own.getObjectAsBytes(g -> g.bucket("open").key("copy")).asUtf8String())
          .isEqualTo("open a");
      assertError(
          () ->
              writer.copyObject(c ->
                  c.sourceBucket("closed")
                      .sourceKey("a")
                      .destinationBucket("open")
                      .destinationKey("stolen")),
          403,
          "AccessDenied");
      assertError(
          () -> writer.putObject(p -> p.bucket("closed").key("b"), RequestBody.fromString("x")),
          403,
          "AccessDenied");
      assertError(() -> writer.deleteBucket(d -> d.bucket("closed")), 403, "AccessDenied");
      assertThat(
              S3Errors.of(() -> own.headObject(h -> h.bucket("open").key("stolen"))).statusCode())
          .isEqualTo(404);

      // Read-only, every bucket.
      assertThat(everywhere.getObjectAsBytes(g -> g.bucket("closed").key("a")).asUtf8String())
          .isEqualTo("closed a");
      assertThat(everywhere.listBuckets().buckets())
          .extracting(Bucket::name)
          .contains("open", "closed");
      assertError(
          () -> everywhere.putObject(p -> p.bucket("closed").key("b"), RequestBody.fromString("x")),
          403,
          "AccessDenied");

      // A key the site does not have, and a known key with the wrong secret.
      try (S3Client stranger =
              Clients.s3(cluster.s3(0), new Credentials("LHSTRANGER000001", READER.secretKey()));
          S3Client forger =
              Clients.s3(
                  cluster.s3(0),
                  new Credentials(READER.accessKey(), "not-the-reader-secret-012345"))) {
        assertError(
            () -> stranger.getObject(g -> g.bucket("open").key("a")), 403, "InvalidAccessKeyId");
        assertError(
            () -> forger.getObject(g -> g.bucket("open").key("a")), 403, "SignatureDoesNotMatch");
      }

      // The file changes: the reader may now write both buckets, the writer is gone.
      write(
          file,
          key(READER, "[open, closed]", "read-write") + key(EVERYWHERE, "[\"*\"]", "read-only"));
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() ->
              reader
                      .putObject(
                          p -> p.bucket("closed").key("by-reader"),
                          RequestBody.fromString("now allowed"))
                      .eTag()
                  != null);
      assertThat(own.getObjectAsBytes(g -> g.bucket("closed").key("by-reader")).asUtf8String())
          .isEqualTo("now allowed");
      assertError(
          () -> writer.getObject(g -> g.bucket("open").key("a")), 403, "InvalidAccessKeyId");

      // A file that no longer loads keeps the keys that did.
      write(file, "keys:\n  - access-key: " + READER.accessKey() + "\n    bucket: [open]\n");
      long reloadedOrNot = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < reloadedOrNot) {
        assertThat(reader.getObjectAsBytes(g -> g.bucket("closed").key("a")).asUtf8String())
            .isEqualTo("closed a");
        Thread.sleep(100);
      }
      assertThat(own.getObjectAsBytes(g -> g.bucket("open").key("b")).asUtf8String())
          .isEqualTo("written");
    }
  }

  private static String key(Credentials c, String buckets, String access) {
    return "  - access-key: "
        + c.accessKey()
        + "\n    secret-key: \""
        + c.secretKey()
        + "\"\n    buckets: "
        + buckets
        + "\n    access: "
        + access
        + "\n";
  }

  private static void write(Path file, String keys) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(
        tmp, keys.startsWith("keys:") ? keys : "keys:\n" + keys, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
