package dev.leasehold.cli;

import java.util.Locale;

/**
 * Every configuration setting of a site: its name (the YAML key and the {@code --flag}), its
 * default, and what it means. {@code docs/configuration.md} lists exactly these (a test checks).
 *
 * <p>A setting is read, lowest precedence first, from its default, the YAML file given with {@code
 * --config}, the environment ({@code LEASEHOLD_} and the name in capitals with {@code _} for {@code
 * -}), and the command line.
 */
public enum Setting {
  DATA_DIR("data-dir", "./leasehold-data", "Directory for the cache, staging and site metadata."),
  BIND("bind", "127.0.0.1", "Address the S3 endpoint and the peer port listen on."),
  ADMIN_BIND(
      "admin-bind",
      "127.0.0.1",
      "Address the admin endpoint (health, metrics, dashboard, admin API) listens on: apart from"
          + " bind, so S3 can face clients while the admin endpoint stays on an operators'"
          + " network."),
  S3_PORT("s3-port", "9000", "Port of the S3 endpoint; 0 picks a free port."),
  ADMIN_PORT("admin-port", "9001", "Port of the admin endpoint (health); 0 picks a free port."),
  PEER_PORT(
      "peer-port",
      "9002",
      "Port other sites of the namespace call (redirected reads, unflushed keys for a LIST);"
          + " 0 picks a free port."),
  PEER_ADVERTISE(
      "peer-advertise",
      "",
      "host:port the other sites reach this site's peer port at, where that is not the bind"
          + " address and peer port (a NAT, a load balancer, a DNS name). Empty: the bind address"
          + " (the host name when it is every address) and the peer port."),
  ORIGIN(
      "origin",
      "",
      "Where buckets live: file:///path for a local directory (default: <data-dir>/origin), or"
          + " s3://?endpoint=http://host:port&region=us-east-1&path-style=true for an S3 store,"
          + " with its keys in LEASEHOLD_ORIGIN_ACCESS_KEY and LEASEHOLD_ORIGIN_SECRET_KEY."),
  ORIGIN_NAME(
      "origin-name",
      "",
      "The name buckets are bound to in the coordinator's bucket table: sites that reach one store"
          + " through different endpoints give it the same name. Empty: the origin as the site"
          + " prints it (its directory, or its endpoint and region), which needs no setting while"
          + " every site reaches the store the same way."),
  SITE("site", "local", "This site's name, unique among the sites of a namespace."),
  COORDINATOR(
      "coordinator",
      "",
      "Comma-separated client addresses (host:port) of the coordinator group's peers; any one"
          + " is enough. Empty: an embedded single-peer coordinator in this process."),
  COORDINATOR_PORT(
      "coordinator-port",
      "0",
      "Client port of the embedded coordinator (when coordinator is empty); 0 picks a free one."),
  LEASE_TTL(
      "lease-ttl",
      "10s",
      "Session lifetime without a renewal, for the embedded coordinator (a remote group sets its"
          + " own)."),
  LEASE_DRIFT(
      "lease-drift",
      "0.01",
      "Bound on clock-rate differences, for the embedded coordinator (0.01 is one percent)."),
  ORIGIN_CHECK(
      "origin-check",
      "30s",
      "How long a version known from the coordinator is trusted before the origin is asked again:"
          + " bounds how long a write made directly at the origin goes unseen."),
  FLUSH_DELAY(
      "flush-delay",
      "1s",
      "Write-back: how long after a write its flush to the origin starts (later writes of the key"
          + " within it are flushed once)."),
  FLUSH_CONCURRENCY(
      "flush-concurrency", "4", "Write-back: the most uploads to the origin at a time."),
  CERTS_DIR(
      "certs-dir",
      "",
      "Directory of the namespace's certificates (leasehold certs): the site presents SITE.crt"
          + " and trusts only ca.crt on its links to the coordinator group. Empty: plain links,"
          + " for a namespace on loopback."),
  CREDENTIALS(
      "credentials",
      "",
      "YAML file of further key pairs, each limited to some buckets, read-only or read-write"
          + " (docs/security.md); read again when it changes. The site's own pair keeps full"
          + " access."),
  MULTIPART_EXPIRY(
      "multipart-expiry",
      "7d",
      "How long a multipart upload may stay incomplete; then it is aborted and its parts"
          + " deleted."),
  MAX_UPLOADS(
      "max-uploads",
      "10000",
      "The most multipart uploads in progress in one bucket; beyond it a new one is 503"
          + " SlowDown."),
  TLS_CERT(
      "tls-cert",
      "",
      "PEM certificate chain the S3 endpoint serves HTTPS with (a public certificate), read again"
          + " when it changes; with tls-key. Empty: the site's certificate from certs-dir, if"
          + " any."),
  TLS_KEY("tls-key", "", "PEM private key of tls-cert."),
  OTLP_ENDPOINT(
      "otlp-endpoint",
      "",
      "OTLP/HTTP collector to send traces to, such as http://collector:4318. Empty: no tracing."),
  EGRESS_PRICE(
      "egress-price",
      "0.09",
      "Price of one GB (10^9 bytes) read from the origin, for the egress-saved metric."),
  CACHE_SIZE("cache-size", "10GiB", "Most bytes of object data the cache keeps on disk."),
  MEMORY_CACHE_SIZE(
      "memory-cache-size",
      "64MiB",
      "Most bytes of the hottest cached chunks of up to 1 MiB also held in memory (off the heap),"
          + " so a hit on them reads no file; 0 turns the memory tier off."),
  CHUNK_SIZE(
      "chunk-size",
      "4MiB",
      "Size of the pieces objects are cached in; a ranged read fetches only the pieces it needs."),
  REGION("region", "us-east-1", "Region clients sign requests for."),
  DOMAINS(
      "domains",
      "localhost",
      "Comma-separated domains for virtual-host style: <bucket>.<domain> addresses a bucket."),
  BODY_TIMEOUT("body-timeout", "60s", "How long a request body may stall before RequestTimeout."),
  IDLE_TIMEOUT("idle-timeout", "120s", "How long an idle client connection stays open."),
  HEADER_TIMEOUT(
      "header-timeout",
      "30s",
      "How long a request's headers may take to arrive, from their first byte; then the"
          + " connection is answered RequestTimeout and closed."),
  MAX_CONNECTIONS(
      "max-connections",
      "4096",
      "The most client connections the S3 endpoint holds open; beyond it a new one is answered"
          + " 503 SlowDown and closed."),
  MAX_CONNECTIONS_PER_CLIENT(
      "max-connections-per-client",
      "512",
      "The most S3 connections one client address holds open; beyond it 503 SlowDown."),
  DRAIN_TIMEOUT(
      "drain-timeout",
      "30s",
      "On SIGTERM, how long the site may take to answer the requests in flight and flush its"
          + " write-back journal before it exits (what is left is reclaimed at the next start)."),
  MAX_CLOCK_SKEW(
      "max-clock-skew",
      "15m",
      "How far a signed request's time may differ from the site's before RequestTimeTooSkewed.");

  private final String key;
  private final String defaultValue;
  private final String description;

  Setting(String key, String defaultValue, String description) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  /** The YAML key and flag name, such as {@code cache-size}. */
  public String key() {
    return key;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  /** The environment variable, such as {@code LEASEHOLD_CACHE_SIZE}. */
  public String environmentVariable() {
    return "LEASEHOLD_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  static Setting ofKey(String key) {
    for (Setting s : values()) {
      if (s.key.equals(key)) {
        return s;
      }
    }
    throw new ConfigException(key, "is not a setting");
  }
}
