package dev.leasehold.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The configuration of one site, typed and validated: every {@link Setting} resolved from its
 * layers (default, YAML file, environment, flags). Invalid values fail at start with a message that
 * names the setting. Immutable.
 */
public record SiteConfig(
    Path dataDir,
    String bind,
    String adminBind,
    int s3Port,
    int adminPort,
    int peerPort,
    String peerAdvertise,
    String origin,
    String originName,
    long cacheSize,
    long memoryCacheSize,
    long chunkSize,
    String region,
    List<String> domains,
    Duration bodyTimeout,
    Duration idleTimeout,
    Duration headerTimeout,
    int maxConnections,
    int maxConnectionsPerClient,
    Duration maxClockSkew,
    String site,
    List<String> coordinator,
    int coordinatorPort,
    Duration leaseTtl,
    double leaseDrift,
    Duration originCheck,
    double egressPrice,
    String otlpEndpoint,
    Duration flushDelay,
    int flushConcurrency,
    String certsDir,
    String tlsCert,
    String tlsKey,
    String credentialsFile,
    Duration multipartExpiry,
    int maxUploads,
    Duration drainTimeout) {

  static final long MIN_CHUNK = 64 * 1024;
  static final long MAX_CHUNK = 1L << 30;

  public SiteConfig {
    domains = List.copyOf(domains);
    coordinator = List.copyOf(coordinator);
  }

  /** Whether the site's links to the coordinator are mutual TLS ({@code certs-dir} is set). */
  public boolean secure() {
    return !certsDir.isEmpty();
  }

  /** Whether the S3 endpoint serves HTTPS (its own certificate, or the site's). */
  public boolean https() {
    return secure() || !tlsCert.isEmpty();
  }

  /** Where the embedded coordinator keeps its Raft log and snapshots. */
  public Path coordinatorDir() {
    return dataDir.resolve("coordinator");
  }

  public Path cacheDir() {
    return dataDir.resolve("cache");
  }

  public Path stagingDir() {
    return dataDir.resolve("staging");
  }

  /** The write-back journal: beside staging, on one file system, so a body moves in by rename. */
  public Path journalDir() {
    return dataDir.resolve("journal");
  }

  public Path metaDir() {
    return dataDir.resolve("meta");
  }

  /** The origin URI, the default being a directory under the data directory. */
  public String originUri() {
    return origin.isEmpty() ? dataDir.resolve("origin").toUri().toString() : origin;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads the layers in order of precedence: defaults, then {@code file}, then {@code env}, then
   * {@code flags}.
   */
  public static SiteConfig load(
      @Nullable Path file, Map<String, String> env, Map<Setting, String> flags) {
    Builder b = builder();
    if (file != null) {
      b.setAll(readYaml(file));
    }
    for (Setting s : Setting.values()) {
      String value = env.get(s.environmentVariable());
      if (value != null && !value.isEmpty()) {
        b.set(s, value);
      }
    }
    b.setAll(flags);
    return b.build();
  }

  private static Map<Setting, String> readYaml(Path file) {
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    for (Map.Entry<String, JsonNode> e : ConfigFiles.mapping(file).entrySet()) {
      Setting s = Setting.ofKey(e.getKey());
      values.put(s, ConfigFiles.text(s.key(), e.getValue()));
    }
    return values;
  }

  /** Builds a configuration from setting values, as strings, validated on {@link #build}. */
  public static final class Builder {
    private final Map<Setting, String> values = new EnumMap<>(Setting.class);

    private Builder() {}

    public Builder set(Setting setting, String value) {
      values.put(setting, value);
      return this;
    }

    Builder setAll(Map<Setting, String> more) {
      values.putAll(more);
      return this;
    }

    public Builder dataDir(Path dir) {
      return set(Setting.DATA_DIR, dir.toString());
    }

    public Builder s3Port(int port) {
      return set(Setting.S3_PORT, Integer.toString(port));
    }

    public Builder adminPort(int port) {
      return set(Setting.ADMIN_PORT, Integer.toString(port));
    }

    public Builder peerPort(int port) {
      return set(Setting.PEER_PORT, Integer.toString(port));
    }

    public Builder peerAdvertise(String hostPort) {
      return set(Setting.PEER_ADVERTISE, hostPort);
    }

    public Builder origin(String uri) {
      return set(Setting.ORIGIN, uri);
    }

    public Builder cacheSize(long bytes) {
      return set(Setting.CACHE_SIZE, Long.toString(bytes));
    }

    public Builder chunkSize(long bytes) {
      return set(Setting.CHUNK_SIZE, Long.toString(bytes));
    }

    private String get(Setting s) {
      return values.getOrDefault(s, s.defaultValue());
    }

    public SiteConfig build() {
      long cacheSize = Values.size(Setting.CACHE_SIZE.key(), get(Setting.CACHE_SIZE));
      long chunkSize = Values.size(Setting.CHUNK_SIZE.key(), get(Setting.CHUNK_SIZE));
      if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) {
        throw new ConfigException(
            Setting.CHUNK_SIZE.key(),
            "must be between "
                + Values.formatSize(MIN_CHUNK)
                + " and "
                + Values.formatSize(MAX_CHUNK));
      }
      long memoryCacheSize =
          Values.size(Setting.MEMORY_CACHE_SIZE.key(), get(Setting.MEMORY_CACHE_SIZE));
      if (memoryCacheSize > Runtime.getRuntime().maxMemory()) {
        // The tier's buffers count against the JVM's direct memory, which is the heap's size.
        throw new ConfigException(
            Setting.MEMORY_CACHE_SIZE.key(),
            "must be at most the JVM's maximum heap ("
                + Values.formatSize(Runtime.getRuntime().maxMemory())
                + "), which bounds its direct memory");
      }
      if (cacheSize < chunkSize) {
        throw new ConfigException(
            Setting.CACHE_SIZE.key(),
            "must hold at least one chunk (" + get(Setting.CHUNK_SIZE) + ")");
      }
      List<String> domains = list(get(Setting.DOMAINS));
      List<String> coordinator = list(get(Setting.COORDINATOR));
      for (String address : coordinator) {
        if (address.lastIndexOf(':') <= 0) {
          throw new ConfigException(
              Setting.COORDINATOR.key(), "'" + address + "' is not a host:port address");
        }
        Values.port(Setting.COORDINATOR.key(), address.substring(address.lastIndexOf(':') + 1));
      }
      String site = get(Setting.SITE).trim();
      if (site.isEmpty() || !site.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new ConfigException(
            Setting.SITE.key(), "'" + site + "' must be 1 to 64 of A-Z a-z 0-9 . _ -");
      }
      String dataDir = get(Setting.DATA_DIR);
      if (dataDir.isBlank()) {
        throw new ConfigException(Setting.DATA_DIR.key(), "must not be empty");
      }
      String origin = get(Setting.ORIGIN).trim();
      if (!origin.isEmpty() && !OriginSpec.known(origin)) {
        throw new ConfigException(
            Setting.ORIGIN.key(),
            "'" + origin + "' must start with " + String.join(" or ", OriginSpec.SCHEMES));
      }
      String peerAdvertise = get(Setting.PEER_ADVERTISE).trim();
      if (!peerAdvertise.isEmpty()
          && !peerAdvertise.matches("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}")) {
        throw new ConfigException(
            Setting.PEER_ADVERTISE.key(), "'" + peerAdvertise + "' must be host:port");
      }
      String originName = get(Setting.ORIGIN_NAME).trim();
      if (!originName.isEmpty() && !originName.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new ConfigException(
            Setting.ORIGIN_NAME.key(), "'" + originName + "' must be 1 to 64 of A-Z a-z 0-9 . _ -");
      }
      String tlsCert = get(Setting.TLS_CERT).trim();
      String tlsKey = get(Setting.TLS_KEY).trim();
      if (tlsCert.isEmpty() != tlsKey.isEmpty()) {
        throw new ConfigException(
            tlsCert.isEmpty() ? Setting.TLS_CERT.key() : Setting.TLS_KEY.key(),
            "tls-cert and tls-key are given together");
      }
      return new SiteConfig(
          Path.of(dataDir).toAbsolutePath().normalize(),
          get(Setting.BIND).trim(),
          get(Setting.ADMIN_BIND).trim(),
          Values.port(Setting.S3_PORT.key(), get(Setting.S3_PORT)),
          Values.port(Setting.ADMIN_PORT.key(), get(Setting.ADMIN_PORT)),
          Values.port(Setting.PEER_PORT.key(), get(Setting.PEER_PORT)),
          peerAdvertise,
          origin,
          originName,
          cacheSize,
          memoryCacheSize,
          chunkSize,
          get(Setting.REGION).trim(),
          domains,
          Values.duration(Setting.BODY_TIMEOUT.key(), get(Setting.BODY_TIMEOUT)),
          Values.duration(Setting.IDLE_TIMEOUT.key(), get(Setting.IDLE_TIMEOUT)),
          Values.duration(Setting.HEADER_TIMEOUT.key(), get(Setting.HEADER_TIMEOUT)),
          Values.count(Setting.MAX_CONNECTIONS.key(), get(Setting.MAX_CONNECTIONS), 1, 1_000_000),
          Values.count(
              Setting.MAX_CONNECTIONS_PER_CLIENT.key(),
              get(Setting.MAX_CONNECTIONS_PER_CLIENT),
              1,
              1_000_000),
          Values.duration(Setting.MAX_CLOCK_SKEW.key(), get(Setting.MAX_CLOCK_SKEW)),
          site,
          coordinator,
          Values.port(Setting.COORDINATOR_PORT.key(), get(Setting.COORDINATOR_PORT)),
          Values.duration(Setting.LEASE_TTL.key(), get(Setting.LEASE_TTL)),
          Values.fraction(Setting.LEASE_DRIFT.key(), get(Setting.LEASE_DRIFT)),
          Values.duration(Setting.ORIGIN_CHECK.key(), get(Setting.ORIGIN_CHECK)),
          Values.price(Setting.EGRESS_PRICE.key(), get(Setting.EGRESS_PRICE)),
          otlp(get(Setting.OTLP_ENDPOINT).trim()),
          Values.duration(Setting.FLUSH_DELAY.key(), get(Setting.FLUSH_DELAY)),
          Values.count(Setting.FLUSH_CONCURRENCY.key(), get(Setting.FLUSH_CONCURRENCY), 1, 256),
          get(Setting.CERTS_DIR).trim(),
          tlsCert,
          tlsKey,
          get(Setting.CREDENTIALS).trim(),
          Values.duration(Setting.MULTIPART_EXPIRY.key(), get(Setting.MULTIPART_EXPIRY)),
          Values.count(Setting.MAX_UPLOADS.key(), get(Setting.MAX_UPLOADS), 1, 10_000_000),
          Values.duration(Setting.DRAIN_TIMEOUT.key(), get(Setting.DRAIN_TIMEOUT)));
    }

    private static String otlp(String endpoint) {
      if (!endpoint.isEmpty()
          && !endpoint.startsWith("http://")
          && !endpoint.startsWith("https://")) {
        throw new ConfigException(
            Setting.OTLP_ENDPOINT.key(), "'" + endpoint + "' must be an http:// or https:// URL");
      }
      return endpoint;
    }

    private static List<String> list(String value) {
      List<String> out = new ArrayList<>();
      for (String item : value.split(",")) {
        if (!item.isBlank()) {
          out.add(item.trim());
        }
      }
      return out;
    }
  }
}
