package dev.leasehold.cli;

import dev.leasehold.cache.ChunkCache;
import dev.leasehold.coordinator.CoordinatorPeer;
import dev.leasehold.flush.FlushSettings;
import dev.leasehold.flush.Journal;
import dev.leasehold.lease.CoordinatorLink;
import dev.leasehold.lease.CoordinatorQueries;
import dev.leasehold.lease.LeaseSettings;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.RegisteredSites;
import dev.leasehold.origin.MeteredOrigin;
import dev.leasehold.origin.Origin;
import dev.leasehold.peer.PeerClient;
import dev.leasehold.peer.PeerServer;
import dev.leasehold.s3.Credentials;
import dev.leasehold.s3.KeyRing;
import dev.leasehold.s3.S3Server;
import dev.leasehold.s3.S3Service;
import dev.leasehold.s3.S3Settings;
import dev.leasehold.site.SiteGateway;
import dev.leasehold.site.Staging;
import dev.leasehold.telemetry.AdminActions;
import dev.leasehold.telemetry.AdminServer;
import dev.leasehold.telemetry.Health;
import dev.leasehold.telemetry.Metrics;
import dev.leasehold.telemetry.Tracing;
import dev.leasehold.tls.NodeCertificates;
import dev.leasehold.tls.ReloadingKeyManager;
import io.grpc.ClientInterceptor;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running site: its origin, chunk cache, staging area, leases (with an embedded single-peer
 * coordinator unless a group is named), gateway, S3 endpoint, admin endpoint and peer port,
 * assembled from a {@link SiteConfig}. The command line and the tests start sites the same way.
 *
 * <p>Thread-safe to query; started once and closed once.
 */
public final class Site implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Site.class);

  private final SiteConfig config;
  private final Credentials credentials;
  private final Origin origin;
  private final ChunkCache cache;
  private final ExecutorService loaders;
  private final @Nullable CoordinatorPeer embedded;
  private final CoordinatorLink link;
  private final CoordinatorLink operatorLink;
  private final Leases leases;
  private final CoordinatorQueries queries;
  private final RegisteredSites registeredSites;
  private final S3Server s3;
  private final AdminServer admin;
  private final PeerServer peer;
  private final PeerClient peers;
  private final Metrics metrics;
  private final String adminToken;
  private final Tracing tracing;
  private final SiteGateway gateway;
  private final Journal journal;
  private volatile @Nullable SiteAdmin adminActions;
  private volatile boolean stopping;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private record OriginProbe(Health health, long at) {}

  private static final long ORIGIN_PROBE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
  private volatile @Nullable OriginProbe originProbe;

  private Site(
      SiteConfig config,
      Credentials credentials,
      Origin origin,
      List<ClientInterceptor> coordinatorInterceptors)
      throws IOException {
    this.config = config;
    this.credentials = credentials;
    this.metrics = new Metrics();
    this.tracing = Tracing.of(config.otlpEndpoint(), config.site());
    MeterRegistry registry = metrics.registry();
    OpenTelemetry telemetry = tracing.openTelemetry();
    this.origin = new MeteredOrigin(origin, registry, telemetry);
    this.loaders =
        Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("chunk-load-", 0).factory());
    this.cache =
        new ChunkCache(
            config.cacheDir(),
            config.cacheSize(),
            config.chunkSize(),
            config.memoryCacheSize(),
            loaders);
    cache.bindMetrics(registry);
    Gauge.builder("leasehold.site.ready", this, s -> s.health().ready() ? 1 : 0)
        .description("1 when /health/ready answers 200")
        .register(registry);
    bindEgressMetrics(registry, cache, config.egressPrice());
    Staging staging = new Staging(config.stagingDir());
    this.journal = Journal.open(config.journalDir());
    List<String> coordinator = config.coordinator();
    if (coordinator.isEmpty()) {
      embedded = EmbeddedCoordinator.start(config);
      // Its own site calls it in process; its loopback port stays for `leasehold admin`.
      coordinator = List.of(CoordinatorLink.inProcess(embedded.openInProcess()));
    } else {
      embedded = null;
    }
    this.adminToken = CredentialStore.adminToken(config.metaDir(), System.getenv());
    NodeCertificates certificates = certificates(config, config.site());
    this.admin =
        new AdminServer(
            new InetSocketAddress(config.adminBind(), config.adminPort()),
            certificates == null ? null : certificates.sslContext(),
            config.site(),
            this::health,
            metrics,
            this::sites,
            this::siteSnapshot,
            adminToken,
            this::adminActions);
    this.peer =
        new PeerServer(
            new InetSocketAddress(config.bind(), config.peerPort()),
            certificates,
            this::isRegisteredSite);
    // The embedded coordinator listens on loopback only, plain (docs/security.md).
    this.link =
        new CoordinatorLink(
            coordinator, coordinatorInterceptors, embedded == null ? certificates : null);
    NodeCertificates operator = embedded == null ? operatorCertificates(config) : null;
    this.operatorLink =
        operator == null
            ? link
            : new CoordinatorLink(coordinator, coordinatorInterceptors, operator);
    this.queries = new CoordinatorQueries(link);
    this.registeredSites = new RegisteredSites(queries::sites);
    String scheme = certificates == null ? "http" : "https";
    this.leases =
        Leases.start(
            link,
            operatorLink,
            LeaseSettings.defaults(config.site())
                .at(
                    advertised(scheme, admin.address()),
                    config.peerAdvertise().isEmpty()
                        ? advertised(scheme, peer.address())
                        : scheme + "://" + config.peerAdvertise()),
            System::nanoTime);
    leases.bindMetrics(registry);
    leases.bindTracing(telemetry);
    if (embedded != null) {
      embedded.bindMetrics(registry);
      embedded.bindTracing(telemetry);
    }
    this.peers =
        certificates == null
            ? PeerClient.withSecret(PEER_TIMEOUT, leases::peerSecret)
            : PeerClient.secure(PEER_TIMEOUT, certificates);
    this.gateway =
        new SiteGateway(
            this.origin,
            config.originName().isEmpty() ? this.origin.describe() : config.originName(),
            cache,
            staging,
            leases,
            config.originCheck(),
            journal,
            new FlushSettings(config.flushDelay(), config.flushConcurrency()),
            peers,
            config.multipartExpiry(),
            config.maxUploads());
    gateway.bindMetrics(registry);
    this.adminActions = new SiteAdmin(config.site(), gateway, cache, leases, queries);
    S3Settings settings =
        new S3Settings(
            config.region(),
            config.domains(),
            credentials,
            config.credentialsFile().isEmpty()
                ? KeyRing.NONE
                : new CredentialsFile(Path.of(config.credentialsFile()), credentials.accessKey()),
            config.bodyTimeout(),
            config.idleTimeout(),
            config.maxClockSkew(),
            config.headerTimeout(),
            config.maxConnections(),
            config.maxConnectionsPerClient(),
            s3Keys(config, certificates));
    this.s3 =
        new S3Server(
            new S3Service(config.site(), gateway, settings, Clock.systemUTC(), registry, telemetry),
            settings,
            new InetSocketAddress(config.bind(), config.s3Port()));
  }

  /**
   * Starts a site over an origin the caller opened (and still owns: closing the site closes it).
   */
  public static Site start(SiteConfig config, Credentials credentials, Origin origin) {
    return start(config, credentials, origin, List.of());
  }

  /**
   * Starts a site whose calls to the coordinator pass through {@code coordinatorInterceptors}
   * (tests cut a site off from the coordinator with one).
   */
  public static Site start(
      SiteConfig config,
      Credentials credentials,
      Origin origin,
      List<ClientInterceptor> coordinatorInterceptors) {
    Site site = null;
    try {
      site = new Site(config, credentials, origin, coordinatorInterceptors);
      if (site.embedded != null && !site.leases.awaitSession(Duration.ofSeconds(30))) {
        throw new IllegalStateException("the embedded coordinator granted no session in 30 s");
      }
      site.peer.start(site.gateway.peerService(), site.admin::snapshotJson);
      site.s3.start();
      site.admin.start();
      return site;
    } catch (IOException e) {
      closeQuietly(site);
      throw new UncheckedIOException("cannot start the site", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(site);
      throw new IllegalStateException("interrupted while starting", e);
    } catch (RuntimeException e) {
      closeQuietly(site);
      throw e;
    }
  }

  public URI s3Endpoint() {
    InetSocketAddress a = s3.address();
    return URI.create((config.https() ? "https" : "http") + "://" + host(a) + ":" + a.getPort());
  }

  public URI adminEndpoint() {
    InetSocketAddress a = admin.address();
    return URI.create((config.secure() ? "https" : "http") + "://" + host(a) + ":" + a.getPort());
  }

  /** The peer port, which only the other sites of the namespace may call. */
  public URI peerEndpoint() {
    InetSocketAddress a = peer.address();
    return URI.create((config.secure() ? "https" : "http") + "://" + host(a) + ":" + a.getPort());
  }

  public Credentials credentials() {
    return credentials;
  }

  public SiteConfig config() {
    return config;
  }

  public ChunkCache cache() {
    return cache;
  }

  /** The write-back journal: acknowledged versions not yet at the origin. */
  public Journal journal() {
    return journal;
  }

  public Origin origin() {
    return origin;
  }

  public Leases leases() {
    return leases;
  }

  /** The embedded coordinator, if this site runs one. */
  public @Nullable CoordinatorPeer embeddedCoordinator() {
    return embedded;
  }

  /**
   * {@code leasehold_origin_egress_saved_bytes_total}: chunk bytes served from the cache instead of
   * the origin; {@code leasehold_origin_egress_saved_cost_dollars_total}: the same at {@code
   * egress-price} per GB.
   */
  private static void bindEgressMetrics(MeterRegistry registry, ChunkCache cache, double price) {
    FunctionCounter.builder("leasehold.origin.egress.saved", cache, c -> c.bytesFromCache())
        .description("Bytes served from the cache that the origin did not have to send")
        .baseUnit("bytes")
        .register(registry);
    FunctionCounter.builder(
            "leasehold.origin.egress.saved.cost", cache, c -> c.bytesFromCache() / 1e9 * price)
        .description("What the bytes served from the cache would have cost as origin egress")
        .baseUnit("dollars")
        .register(registry);
  }

  /**
   * Ready: a valid session, a coordinator that answers (it has a leader) and grants, an origin that
   * answers.
   */
  private Health health() {
    if (stopping) {
      return Health.notReady("stopping: it answers the requests in flight and takes no more");
    }
    if (!leases.valid()) {
      return Health.notReady("no valid session with the coordinator");
    }
    if (!leases.coordinatorReachable()) {
      return Health.notReady("the coordinator did not answer the last renewal (no leader?)");
    }
    if (leases.coordinatorStarting()) {
      return Health.notReady(
          "the coordinator grants no lease yet: it started with a new table and waits out the"
              + " leases an earlier life of it may have granted");
    }
    return originHealth();
  }

  /**
   * Whether the origin answers (a ListBuckets call), asked at most once a second however often
   * probes and scrapes come: a probe should not cost the origin a request each time.
   */
  private Health originHealth() {
    OriginProbe last = originProbe;
    long now = System.nanoTime();
    if (last != null && now - last.at() < ORIGIN_PROBE_NANOS) {
      return last.health();
    }
    Health health;
    try {
      origin.listBuckets();
      health = Health.READY;
    } catch (RuntimeException e) {
      health = Health.notReady("origin unreachable: " + e.getMessage());
    }
    originProbe = new OriginProbe(health, now);
    return health;
  }

  private AdminActions adminActions() {
    SiteAdmin a = adminActions;
    if (a == null) {
      throw new IllegalStateException("the site is still starting");
    }
    return a;
  }

  /** The token the admin API takes. */
  public String adminToken() {
    return adminToken;
  }

  /** Every site of the namespace with its admin endpoint, as the coordinator knows them. */
  /** Whether {@code name} is a site with a live session: the peer port answers only those. */
  private boolean isRegisteredSite(String name) {
    return registeredSites.test(name);
  }

  /** Another site's figures for {@code /api/sites}, from its peer port. */
  private byte[] siteSnapshot(String peerAddress, int limit) throws IOException {
    return peers.siteSnapshot(peerAddress, limit);
  }

  private Map<String, String> sites() {
    return queries.sites();
  }

  /** The certificates of {@code name} in the site's certificates directory; null without one. */
  private static @Nullable NodeCertificates certificates(SiteConfig config, String name) {
    if (!config.secure()) {
      return null;
    }
    try {
      return NodeCertificates.load(Path.of(config.certsDir()), name);
    } catch (IOException e) {
      throw new ConfigException(Setting.CERTS_DIR.key(), String.valueOf(e.getMessage()));
    }
  }

  /**
   * The operator's certificate the admin API acts with ({@value #OPERATOR_CERT}.crt in the
   * certificates directory), if the operator put one there: without it, the coordinator refuses the
   * admin API's operator commands (docs/security.md).
   */
  private static @Nullable NodeCertificates operatorCertificates(SiteConfig config) {
    if (!config.secure()
        || !Files.exists(Path.of(config.certsDir()).resolve(OPERATOR_CERT + ".crt"))) {
      return null;
    }
    return certificates(config, OPERATOR_CERT);
  }

  /**
   * The key and certificate the S3 endpoint serves HTTPS with: tls-cert/tls-key (reloaded when they
   * change), else the site's own certificate; null (plain HTTP) without either.
   */
  private static javax.net.ssl.@Nullable X509KeyManager s3Keys(
      SiteConfig config, @Nullable NodeCertificates certificates) {
    if (!config.tlsCert().isEmpty()) {
      try {
        return new ReloadingKeyManager(Path.of(config.tlsCert()), Path.of(config.tlsKey()));
      } catch (IOException e) {
        throw new ConfigException(Setting.TLS_CERT.key(), String.valueOf(e.getMessage()));
      }
    }
    return certificates == null ? null : certificates.keyManager();
  }

  /** How long a call to another site's peer port may take (a redirected read streams a body). */
  private static final Duration PEER_TIMEOUT = Duration.ofSeconds(60);

  /** The name of the operator certificate a site's admin API acts with, if present. */
  static final String OPERATOR_CERT = "operator";

  /** Where others reach one of this site's endpoints: its bind address, or its host name. */
  private static String advertised(String scheme, InetSocketAddress a) {
    if (!a.getAddress().isAnyLocalAddress()) {
      return scheme + "://" + host(a) + ":" + a.getPort();
    }
    try {
      return scheme + "://" + java.net.InetAddress.getLocalHost().getHostName() + ":" + a.getPort();
    } catch (java.net.UnknownHostException e) {
      return "";
    }
  }

  private static String host(InetSocketAddress a) {
    String h = a.getAddress().getHostAddress();
    return h.contains(":") ? "[" + h + "]" : h;
  }

  /**
   * A graceful stop (SIGTERM), within {@code drain}: /health/ready turns false; the S3 endpoint
   * takes no new connection and answers the requests in flight; the write-back journal is flushed
   * (the other sites' redirected reads are still answered meanwhile) and the flusher stops; the
   * peer port closes; and, if nothing the site started is still running, the session ends at the
   * coordinator, handing back every lease at once (docs/protocol.md, Sessions 6). Then everything
   * closes. What the drain time did not allow stays in the journal, reclaimed at the next start,
   * and the session then expires as after a crash. Whether everything was drained, flushed and
   * ended.
   */
  public boolean stop(Duration drain) {
    stopping = true;
    long deadline = System.nanoTime() + drain.toNanos();
    boolean clean = false;
    try {
      LOG.info("stopping: draining requests in flight (up to {})", drain);
      boolean drained = s3.drain(remaining(deadline));
      boolean settled = drained && gateway.flushAllAndStop(remaining(deadline));
      if (journal.count() > 0) {
        LOG.warn(
            "stopping with {} write-back versions not yet at the origin: the next start reclaims"
                + " and flushes them",
            journal.count());
      }
      peer.close();
      if (settled) {
        clean = leases.endSession();
      } else {
        LOG.warn(
            "a request or a flush still ran when the drain time was up: the session is left to"
                + " expire, as after a crash");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close();
    }
    LOG.info("stopped{}", clean ? "" : " (not everything drained: see the warnings above)");
    return clean;
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closing("the S3 endpoint", s3::close);
    closing("the peer port", peer::close);
    closing("the admin port", admin::close);
    closing("the gateway", gateway::close);
    closing("the journal", journal::close);
    closing("the leases", leases::close);
    closing("the coordinator link", link::close);
    if (operatorLink != link) {
      closing("the operators' coordinator link", operatorLink::close);
    }
    CoordinatorPeer coordinator = embedded;
    if (coordinator != null) {
      closing("the embedded coordinator", coordinator::close);
    }
    loaders.shutdownNow();
    closing("the origin", origin::close);
    closing("the metrics", metrics::close);
    closing("the tracing", tracing::close);
  }

  /** Closes one part, and says so if that was slow: a stop is expected to take a moment. */
  private static void closing(String part, Runnable close) {
    long started = System.nanoTime();
    close.run();
    long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
    if (millis > 1000) {
      LOG.warn("closing {} took {} ms", part, millis);
    }
  }

  private static void closeQuietly(@Nullable Site site) {
    if (site != null) {
      try {
        site.close();
      } catch (RuntimeException ignored) {
        // the start failure is what the caller needs to see
      }
    }
  }
}
