package dev.leasehold.testkit;

import dev.leasehold.cli.Setting;
import dev.leasehold.cli.Site;
import dev.leasehold.cli.SiteConfig;
import dev.leasehold.origin.DirectoryOrigin;
import dev.leasehold.origin.Origin;
import dev.leasehold.origin.S3Origin;
import dev.leasehold.s3.Credentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The test kit: starts an origin (a directory, or S3Proxy on loopback) and N sites over it, each on
 * free loopback ports, in this JVM, with everything under one temporary directory. Every multi-part
 * test builds its world with this, rather than by hand.
 *
 * <p>Each site's origin is wrapped in a {@link RecordingOrigin}, so tests can assert what reached
 * the origin; {@link #backdoor()} is a separate connection to the same origin, for changes made
 * behind Leasehold's back.
 *
 * <p>Not thread-safe: build, use, close from the test thread.
 */
public final class LocalCluster implements AutoCloseable {
  public static final Credentials CREDENTIALS =
      new Credentials("LHTESTACCESSKEY0001", "test-secret-key-0123456789abcdefghijklmn");

  private final Path root;
  private final OriginKind originKind;
  private final @Nullable S3ProxyServer s3proxy;
  private final List<Site> sites = new ArrayList<>();
  private final List<RecordingOrigin> origins = new ArrayList<>();
  private final List<SiteConfig> configs = new ArrayList<>();
  private final Origin backdoor;

  private LocalCluster(Builder b) throws IOException {
    this.root = Files.createTempDirectory("leasehold-test-");
    this.originKind = b.originKind;
    this.s3proxy = b.originKind == OriginKind.S3PROXY ? S3ProxyServer.start() : null;
    this.backdoor = openOrigin();
    for (int i = 0; i < b.sites; i++) {
      SiteConfig config =
          SiteConfig.builder()
              .dataDir(root.resolve("site-" + i))
              .s3Port(0)
              .adminPort(0)
              .cacheSize(b.cacheSize)
              .chunkSize(b.chunkSize)
              .set(Setting.BODY_TIMEOUT, b.bodyTimeout)
              .build();
      configs.add(config);
      startSite(i, config);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  private void startSite(int i, SiteConfig config) {
    RecordingOrigin origin = new RecordingOrigin(openOrigin());
    Site site = Site.start(config, CREDENTIALS, origin);
    if (i < sites.size()) {
      sites.set(i, site);
      origins.set(i, origin);
    } else {
      sites.add(site);
      origins.add(origin);
    }
  }

  private Origin openOrigin() {
    if (s3proxy != null) {
      return new S3Origin(
          new S3Origin.Settings(
              s3proxy.endpoint(),
              "us-east-1",
              true,
              S3ProxyServer.ACCESS_KEY,
              S3ProxyServer.SECRET_KEY));
    }
    return new DirectoryOrigin(root.resolve("origin"));
  }

  public OriginKind originKind() {
    return originKind;
  }

  public Site site(int i) {
    return sites.get(i);
  }

  /** The calls site {@code i} made to its origin. */
  public RecordingOrigin origin(int i) {
    return origins.get(i);
  }

  /** A connection to the origin that bypasses every site. */
  public Origin backdoor() {
    return backdoor;
  }

  /** A path-style SDK client for site {@code i}. */
  public S3Client client(int i) {
    return Clients.s3(site(i).s3Endpoint(), CREDENTIALS);
  }

  /** Stops site {@code i} and starts it again on the same data directory (new ports). */
  public Site restart(int i) {
    sites.get(i).close();
    startSite(i, configs.get(i));
    return sites.get(i);
  }

  /** Stops site {@code i}, runs {@code whileDown} (say, to tamper with its cache), restarts it. */
  public Site restart(int i, Runnable whileDown) {
    sites.get(i).close();
    whileDown.run();
    startSite(i, configs.get(i));
    return sites.get(i);
  }

  public Path root() {
    return root;
  }

  @Override
  public void close() {
    for (Site s : sites) {
      s.close();
    }
    backdoor.close();
    if (s3proxy != null) {
      s3proxy.close();
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds a cluster. */
  public static final class Builder {
    private OriginKind originKind = OriginKind.DIRECTORY;
    private int sites = 1;
    private long chunkSize = 1024 * 1024;
    private long cacheSize = 256L * 1024 * 1024;
    private String bodyTimeout = Setting.BODY_TIMEOUT.defaultValue();

    private Builder() {}

    public Builder origin(OriginKind kind) {
      this.originKind = kind;
      return this;
    }

    public Builder sites(int n) {
      this.sites = n;
      return this;
    }

    public Builder chunkSize(long bytes) {
      this.chunkSize = bytes;
      return this;
    }

    public Builder cacheSize(long bytes) {
      this.cacheSize = bytes;
      return this;
    }

    /** How long a request body may stall, such as {@code 2s}. */
    public Builder bodyTimeout(String duration) {
      this.bodyTimeout = duration;
      return this;
    }

    public LocalCluster start() {
      try {
        return new LocalCluster(this);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
