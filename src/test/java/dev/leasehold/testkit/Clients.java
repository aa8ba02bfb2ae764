package dev.leasehold.testkit;

import dev.leasehold.s3.Credentials;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** AWS SDK v2 clients for a Leasehold endpoint, as a user would configure them. */
public final class Clients {
  private Clients() {}

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
        .httpClientBuilder(Apache5HttpClient.builder().maxConnections(64));
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
