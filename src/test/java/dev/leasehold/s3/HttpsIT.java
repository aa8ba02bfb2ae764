package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.cli.Setting;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.RawHttp;
import dev.leasehold.tls.CertificateAuthority;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 endpoint over HTTPS, with real TLS on loopback and the AWS SDK as the client: with the
 * namespace's certificates it serves the site's own certificate; with tls-cert/tls-key, that pair,
 * read again when the files change.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HttpsIT {
  @TempDir Path tmp;

  @Test
  void withTheNamespacesCertificatesS3IsHttpsWithTheSitesCertificate() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).secure().start();
        S3Client s3 = cluster.client(0)) {
      URI endpoint = cluster.s3(0);
      assertThat(endpoint.getScheme()).isEqualTo("https");
      String bucket = Data.bucket(s3);
      s3.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("over TLS"));
      assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("over TLS");
      // A body of several cache chunks, read cold and then from the cache (where plain HTTP
      // sends files with sendfile, which TLS cannot take).
      byte[] large = Data.bytes(3 * 1024 * 1024 + 17, 5);
      s3.putObject(p -> p.bucket(bucket).key("large"), RequestBody.fromBytes(large));
      for (int read = 0; read < 2; read++) {
        assertThat(s3.getObjectAsBytes(g -> g.bucket(bucket).key("large")).asByteArray())
            .isEqualTo(large);
      }
      assertThat(
              s3.getObjectAsBytes(g -> g.bucket(bucket).key("large").range("bytes=1000000-2999999"))
                  .asByteArray())
          .isEqualTo(java.util.Arrays.copyOfRange(large, 1_000_000, 3_000_000));
      assertThat(
              served(endpoint, cluster.certsDir().resolve("ca.crt"))
                  .getSubjectX500Principal()
                  .getName())
          .contains("CN=site-0");
      // Plain HTTP to the port gets no HTTP answer.
      assertThatThrownBy(() ->
              RawHttp.send(
                  URI.create("http://127.0.0.1:" + endpoint.getPort()),
                  "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                  new byte[0]))
          .isInstanceOf(IOException.class);
      // A client that does not trust the namespace's authority refuses the endpoint.
      try (S3Client untrusting =
          S3Client.builder()
              .endpointOverride(endpoint)
              .region(software.amazon.awssdk.regions.Region.US_EAST_1)
              .forcePathStyle(true)
              .credentialsProvider(
                  software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                      software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                          LocalCluster.CREDENTIALS.accessKey(),
                          LocalCluster.CREDENTIALS.secretKey())))
              .httpClientBuilder(software.amazon.awssdk.http.apache5.Apache5HttpClient.builder())
              .build()) {
        assertThatThrownBy(() -> untrusting.listBuckets()).isInstanceOf(SdkClientException.class);
      }
    }
  }

  @Test
  void aPublicCertificateIsServedAndReadAgainWhenItChanges() throws Exception {
    Path first = tmp.resolve("first");
    Path second = tmp.resolve("second");
    for (Path ca : List.of(first, second)) {
      CertificateAuthority.createCa(ca);
      CertificateAuthority.createNode(ca, "s3", List.of("127.0.0.1"));
      Clients.trust(ca.resolve("ca.crt"));
    }
    Path cert = tmp.resolve("served.crt");
    Path key = tmp.resolve("served.key");
    Files.copy(first.resolve("s3.crt"), cert);
    Files.copy(first.resolve("s3.key"), key);
    try (LocalCluster cluster =
            LocalCluster.builder()
                .set(Setting.TLS_CERT, cert.toString())
                .set(Setting.TLS_KEY, key.toString())
                .start();
        S3Client s3 = cluster.client(0)) {
      URI endpoint = cluster.s3(0);
      assertThat(endpoint.getScheme()).isEqualTo("https");
      String bucket = Data.bucket(s3);
      s3.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("public"));
      X509Certificate before = served(endpoint, first.resolve("ca.crt"));

      // Renewed: the second pair replaces the files (moved in, as a renewal tool does).
      Files.copy(second.resolve("s3.crt"), tmp.resolve("new.crt"));
      Files.copy(second.resolve("s3.key"), tmp.resolve("new.key"));
      Files.move(tmp.resolve("new.key"), key, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp.resolve("new.crt"), cert, StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(cert, FileTime.from(Instant.now().plusSeconds(5)));
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(300))
          .ignoreExceptions()
          .until(() ->
              !served(endpoint, second.resolve("ca.crt"))
                  .getSerialNumber()
                  .equals(before.getSerialNumber()));
      try (S3Client again = cluster.client(0)) {
        assertThat(again.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
            .isEqualTo("public");
      }
    }
  }

  /** The certificate the endpoint presents to a new connection that trusts only {@code ca}. */
  private static X509Certificate served(URI endpoint, Path ca) throws Exception {
    java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
    store.load(null, null);
    try (var in = Files.newInputStream(ca)) {
      store.setCertificateEntry(
          "ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket s =
        (SSLSocket)
            context
                .getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), endpoint.getPort())) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }
}
