package dev.leasehold.s3;

import java.time.Duration;
import java.util.List;
import javax.net.ssl.X509KeyManager;
import org.jspecify.annotations.Nullable;

/**
 * How the S3 front end behaves. Immutable.
 *
 * @param region the region clients sign for, and GetBucketLocation answers
 * @param domains host names under which {@code bucket.<domain>} addresses a bucket (virtual-host
 *     style); any other host means path style
 * @param credentials the site's own key pair, which may do everything
 * @param otherKeys further key pairs clients may sign with, each limited to its scope
 * @param bodyTimeout how long a request body may stall before {@code RequestTimeout}
 * @param idleTimeout how long an idle keep-alive connection stays open
 * @param maxClockSkew how far a signed request's time may be from the site's
 * @param headerTimeout how long a request's headers may take, from their first byte
 * @param maxConnections the most client connections open at once
 * @param maxConnectionsPerClient the most client connections one address holds open at once
 * @param tls the key and certificate the endpoint serves HTTPS with, or null for plain HTTP
 */
public record S3Settings(
    String region,
    List<String> domains,
    Credentials credentials,
    KeyRing otherKeys,
    Duration bodyTimeout,
    Duration idleTimeout,
    Duration maxClockSkew,
    Duration headerTimeout,
    int maxConnections,
    int maxConnectionsPerClient,
    @Nullable X509KeyManager tls) {

  public S3Settings {
    domains = List.copyOf(domains);
  }

  /** Whether the endpoint serves HTTPS. */
  public boolean https() {
    return tls != null;
  }

  /** Defaults for everything but the credentials. */
  public static S3Settings defaults(Credentials credentials) {
    return new S3Settings(
        "us-east-1",
        List.of("localhost"),
        credentials,
        KeyRing.NONE,
        Duration.ofSeconds(60),
        Duration.ofMinutes(2),
        Duration.ofMinutes(15),
        Duration.ofSeconds(30),
        4096,
        512,
        null);
  }
}
