package dev.leasehold.testkit;

import dev.leasehold.s3.Credentials;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * AWS SDK v2 clients for a Leasehold endpoint, as a user would configure them. An https endpoint is
 * trusted if its certificate chains to an authority a test registered with {@link #trust} (a secure
 * cluster's, a demo's), as a user passes {@code --ca-bundle}; nothing else is trusted.
 */
public final class Clients {
  private static final List<X509Certificate> TRUSTED = new CopyOnWriteArrayList<>();

  private Clients() {}

  /** Trusts the authority in the PEM file {@code caCert} for every https client made after. */
  public static void trust(Path caCert) {
    try (InputStream in = Files.newInputStream(caCert)) {
      TRUSTED.add(
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the CA bundle " + caCert, e);
    }
  }

  /** Trust managers for the registered authorities only (see {@link #trust}). */
  public static TrustManager[] trustManagers() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate c : TRUSTED) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory f =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      return f.getTrustManagers();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A JDK HTTP client for admin endpoints: plain, or https trusting the registered authorities only
   * (see {@link #trust}), as an operator's tool with the CA bundle.
   */
  public static java.net.http.HttpClient http() {
    try {
      javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
      tls.init(null, trustManagers(), null);
      return java.net.http.HttpClient.newBuilder()
          .connectTimeout(java.time.Duration.ofSeconds(2))
          .sslContext(tls)
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A path-style client with the SDK's defaults (checksums, chunked signed uploads over http). */
  public static S3Client s3(URI endpoint, Credentials credentials) {
    return builder(endpoint, credentials).build();
  }

  /** A client builder, path style, no retries (so tests see every error as sent). */
  public static S3ClientBuilder builder(URI endpoint, Credentials credentials) {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(credentials.accessKey(), credentials.secretKey())))
        .overrideConfiguration(
            ClientOverrideConfiguration.builder()
                .retryStrategy(RetryMode.STANDARD)
                .retryStrategy(b -> b.maxAttempts(1))
                .apiCallTimeout(Duration.ofSeconds(60))
                .build())
        .httpClientBuilder(
            "https".equals(endpoint.getScheme())
                ? Apache5HttpClient.builder()
                    .maxConnections(64)
                    .tlsTrustManagersProvider(Clients::trustManagers)
                : Apache5HttpClient.builder().maxConnections(64));
  }

  /**
   * A virtual-host-style client: requests go to {@code <bucket>.localhost}, which this client
   * resolves to the loopback address itself (no DNS is involved).
   */
  public static S3Client virtualHost(URI endpoint, Credentials credentials) {
    URI hostEndpoint = URI.create("http://localhost:" + endpoint.getPort());
    return builder(hostEndpoint, credentials)
        .forcePathStyle(false)
        .httpClientBuilder(
            Apache5HttpClient.builder()
                .dnsResolver(
                    new org.apache.hc.client5.http.DnsResolver() {
                      @Override
                      public InetAddress[] resolve(String host) {
                        return new InetAddress[] {InetAddress.getLoopbackAddress()};
                      }

                      @Override
                      public String resolveCanonicalHostname(String host) {
                        return host;
                      }
                    }))
        .build();
  }

  public static S3Presigner presigner(URI endpoint, Credentials credentials) {
    return S3Presigner.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .serviceConfiguration(
            software.amazon.awssdk.services.s3.S3Configuration.builder()
                .pathStyleAccessEnabled(true)
                .build())
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(credentials.accessKey(), credentials.secretKey())))
        .build();
  }
}
