package dev.leasehold.testkit;

import dev.leasehold.cli.Setting;
import dev.leasehold.cli.Site;
import dev.leasehold.cli.SiteConfig;
import dev.leasehold.coordinator.CoordinatorPeer;
import dev.leasehold.coordinator.CoordinatorSettings;
import dev.leasehold.origin.DirectoryOrigin;
import dev.leasehold.origin.Origin;
import dev.leasehold.origin.S3Origin;
import dev.leasehold.s3.Credentials;
import dev.leasehold.tls.CertificateAuthority;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The test kit: starts an origin (a directory, or S3Proxy on loopback), a coordinator group (none,
 * for a lone site with its embedded coordinator; or 1 or 3 peers) and N sites over them, each on
 * free loopback ports, in this JVM, with everything under one temporary directory. Every multi-part
 * test builds its world with this, rather than by hand (Ratis's MiniRaftCluster is the model).
 *
 * <p>Each site's origin is wrapped in a {@link RecordingOrigin}, so tests can assert what reached
 * the origin; each site's calls to the coordinator pass through a {@link Partition}, which counts
 * them and can cut the site off. {@link #backdoor()} is a separate connection to the same origin,
 * for changes made behind Leasehold's back. Sites and coordinator peers can be killed and
 * restarted.
 *
 * <p>Not thread-safe: build, use, close from the test thread (faults may be injected from another).
 */
public final class LocalCluster implements AutoCloseable, Workload.Sites {
  public static final Credentials CREDENTIALS =
      new Credentials("LHTESTACCESSKEY0001", "test-secret-key-0123456789abcdefghijklmn");

  private final Builder b;
  private final Path root;
  private @Nullable S3ProxyServer s3proxy;
  // Read by workload clients while a fault thread restarts sites: copy-on-write lists.
  private final List<@Nullable Site> sites = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<RecordingOrigin> origins = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<SiteConfig> configs = new ArrayList<>();
  private final List<Partition> partitions = new ArrayList<>();
  private final List<@Nullable CoordinatorPeer> peers =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<CoordinatorSettings> peerSettings = new ArrayList<>();

  /**
   * With {@link Builder#relayed}: each site's relays to the coordinator peers, and its relay to the
   * origin (each site its own endpoint, the store known by one origin name).
   */
  private final List<List<Relay>> coordinatorRelays = new ArrayList<>();

  private final List<Relay> originRelays = new ArrayList<>();

  /**
   * With {@link Builder#relayed}: a relay in front of each site's peer port, which the site
   * advertises ({@code peer-advertise}), so that what other sites ask it crosses the relay.
   */
  private final List<Relay> peerRelays = new ArrayList<>();

  private @Nullable Origin backdoor;

  private LocalCluster(Builder b) throws IOException {
    this.b = b;
    this.root = Files.createTempDirectory("leasehold-test-");
  }

  /** Starts the origin, the peers and the sites; the caller closes the cluster if this throws. */
  private void startAll() throws IOException {
    this.s3proxy = b.originKind == OriginKind.S3PROXY ? S3ProxyServer.start() : null;
    this.backdoor = openOrigin();
    int coordinators = b.coordinators >= 0 ? b.coordinators : b.sites > 1 ? 1 : 0;
    if (b.secure) {
      makeCertificates(coordinators);
    }
    startCoordinators(coordinators);
    List<String> addresses = new ArrayList<>();
    for (CoordinatorPeer p : peers) {
      if (p != null) {
        addresses.add(p.clientAddress());
      }
    }
    if (b.relayed && s3proxy == null) {
      throw new IllegalStateException("relayed() needs the S3Proxy origin, which a relay reaches");
    }
    for (int i = 0; i < b.sites; i++) {
      List<String> reached = addresses;
      SiteConfig.Builder site = SiteConfig.builder().peerPort(0);
      if (b.relayed && s3proxy != null) {
        List<Relay> relays = new ArrayList<>();
        for (String address : addresses) {
          relays.add(Relay.to(address, Duration.ZERO));
        }
        coordinatorRelays.add(relays);
        reached = relays.stream().map(Relay::hostPort).toList();
        URI origin = s3proxy.endpoint();
        originRelays.add(
            Relay.to(new InetSocketAddress(origin.getHost(), origin.getPort()), Duration.ZERO));
        site.set(Setting.ORIGIN_NAME, "s3proxy"); // one store, reached at one endpoint per site
        int peerPort;
        try (Ports port = Ports.reserve(1)) {
          peerPort = port.get(0);
        }
        Relay toPeer = Relay.to("127.0.0.1:" + peerPort, Duration.ZERO);
        peerRelays.add(toPeer);
        site.peerPort(peerPort).peerAdvertise(toPeer.hostPort());
      }
      site.dataDir(root.resolve("site-" + i))
          .s3Port(0)
          .adminPort(0)
          .cacheSize(b.cacheSize)
          .chunkSize(b.chunkSize)
          .set(Setting.BODY_TIMEOUT, b.bodyTimeout)
          .set(Setting.ORIGIN_CHECK, b.originCheck)
          .set(Setting.LEASE_TTL, b.ttl.toMillis() + "ms")
          .set(Setting.SITE, "site-" + i)
          .set(Setting.COORDINATOR, String.join(",", reached))
          .set(Setting.CERTS_DIR, b.secure ? certsDir().toString() : "");
      // A test's own settings last: for every site, then for this one.
      b.settings.forEach(site::set);
      b.siteSettings.getOrDefault(i, Map.of()).forEach(site::set);
      SiteConfig config = site.build();
      configs.add(config);
      partitions.add(new Partition());
      startSite(i, config);
    }
    for (int i = 0; i < b.sites; i++) {
      Site s = sites.get(i);
      if (s != null && !s.leases().awaitSession(Duration.ofSeconds(30))) {
        throw new IllegalStateException("site " + i + " got no session");
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Where a secure cluster's certificates are ({@code ca.crt}; {@code cN} and {@code site-N} node
   * certificates for 127.0.0.1; {@code operator}, the operators' certificate the sites' admin APIs
   * act with).
   */
  public Path certsDir() {
    return root.resolve("certs");
  }

  private void makeCertificates(int coordinators) throws IOException {
    Path dir = certsDir();
    CertificateAuthority.createCa(dir);
    for (int i = 0; i < coordinators; i++) {
      CertificateAuthority.createNode(dir, "c" + (i + 1), List.of("127.0.0.1"));
    }
    for (int i = 0; i < b.sites; i++) {
      CertificateAuthority.createNode(dir, "site-" + i, List.of("127.0.0.1"));
    }
    CertificateAuthority.createClient(dir, "operator", true);
    Clients.trust(dir.resolve("ca.crt")); // the sites serve S3 over HTTPS with these
  }

  private void startCoordinators(int n) throws IOException {
    if (n == 0) {
      return;
    }
    Map<String, String> group = new LinkedHashMap<>();
    try (Ports raft = Ports.reserve(n)) {
      for (int i = 0; i < n; i++) {
        group.put("c" + (i + 1), "127.0.0.1:" + raft.get(i));
      }
      for (int i = 0; i < n; i++) {
        String id = "c" + (i + 1);
        CoordinatorSettings settings =
            new CoordinatorSettings(
                id,
                root.resolve("coordinator-" + id),
                "127.0.0.1",
                0, // bound by the first start, then kept (sites name it)
                raft.get(i),
                group,
                b.ttl,
                CoordinatorSettings.DEFAULT_DRIFT,
                false);
        peerSettings.add(
            b.secure ? settings.withCertificates(NodeCertificates.load(certsDir(), id)) : settings);
        peers.add(null);
      }
      raft.release();
      for (int i = 0; i < n; i++) {
        CoordinatorPeer p = CoordinatorPeer.start(peerSettings.get(i));
        peers.set(i, p);
        CoordinatorSettings s = peerSettings.get(i);
        String address = p.clientAddress();
        peerSettings.set(
            i,
            new CoordinatorSettings(
                s.id(),
                s.dataDir(),
                s.bind(),
                Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)),
                s.raftPort(),
                s.peers(),
                s.ttl(),
                s.drift(),
                s.standalone(),
                s.certificates(),
                s.joining()));
      }
    }
  }

  private void startSite(int i, SiteConfig config) {
    RecordingOrigin origin =
        new RecordingOrigin(
            i < originRelays.size()
                ? s3Origin(URI.create("http://" + originRelays.get(i).hostPort()))
                : openOrigin());
    Site site = Site.start(config, CREDENTIALS, origin, List.of(partitions.get(i)));
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
      return s3Origin(s3proxy.endpoint());
    }
    return new DirectoryOrigin(root.resolve("origin"));
  }

  private static Origin s3Origin(URI endpoint) {
    return new S3Origin(
        new S3Origin.Settings(
            endpoint, "us-east-1", true, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY));
  }

  /**
   * Puts site {@code i} {@code oneWay} from the coordinator peers (with {@link Builder#relayed}).
   */
  public void distance(int i, Duration oneWay) {
    coordinatorRelays(i).forEach(r -> r.delay(oneWay));
  }

  /** Site {@code i}'s relays to the coordinator peers (with {@link Builder#relayed}). */
  public List<Relay> coordinatorRelays(int i) {
    if (!b.relayed) {
      throw new IllegalStateException("a cluster built without relayed() has no relays");
    }
    return coordinatorRelays.get(i);
  }

  /**
   * The relay in front of site {@code i}'s peer port, which the other sites reach it through (with
   * {@link Builder#relayed}).
   */
  public Relay peerRelay(int i) {
    if (!b.relayed) {
      throw new IllegalStateException("a cluster built without relayed() has no relays");
    }
    return peerRelays.get(i);
  }

  /** Site {@code i}'s relay to the origin (with {@link Builder#relayed}). */
  public Relay originRelay(int i) {
    if (!b.relayed) {
      throw new IllegalStateException("a cluster built without relayed() has no relays");
    }
    return originRelays.get(i);
  }

  public OriginKind originKind() {
    return b.originKind;
  }

  @Override
  public int size() {
    return sites.size();
  }

  /** Site {@code i}'s S3 endpoint (a restarted site answers elsewhere). */
  @Override
  public java.net.URI s3(int i) {
    return site(i).s3Endpoint();
  }

  public Site site(int i) {
    Site s = sites.get(i);
    if (s == null) {
      throw new IllegalStateException("site " + i + " is down");
    }
    return s;
  }

  /** Whether site {@code i} is running. */
  @Override
  public boolean isUp(int i) {
    return sites.get(i) != null;
  }

  /** The calls site {@code i} made to its origin. */
  public RecordingOrigin origin(int i) {
    return origins.get(i);
  }

  /** The link between site {@code i} and the coordinator: cut it, or count its calls. */
  public Partition link(int i) {
    return partitions.get(i);
  }

  /** A connection to the origin that bypasses every site. */
  public Origin backdoor() {
    Origin o = backdoor;
    if (o == null) {
      throw new IllegalStateException("not started");
    }
    return o;
  }

  /** A path-style SDK client for site {@code i}. */
  public S3Client client(int i) {
    return Clients.s3(site(i).s3Endpoint(), CREDENTIALS);
  }

  /** Stops site {@code i} and starts it again on the same data directory (new ports). */
  public Site restart(int i) {
    return restart(i, () -> {});
  }

  /** Stops site {@code i}, runs {@code whileDown} (say, to tamper with its cache), restarts it. */
  public Site restart(int i, Runnable whileDown) {
    kill(i);
    whileDown.run();
    startSite(i, configs.get(i));
    if (!site(i).leases().awaitSession(Duration.ofSeconds(30))) {
      throw new IllegalStateException("site " + i + " got no session within 30 s of its restart");
    }
    return site(i);
  }

  /**
   * Stops site {@code i} without a word to anyone: its leases live on until its session expires.
   */
  public void kill(int i) {
    Site s = sites.get(i);
    if (s != null) {
      sites.set(i, null);
      s.close();
    }
  }

  /** The coordinator peers (empty when the lone site embeds its coordinator). */
  public List<@Nullable CoordinatorPeer> coordinators() {
    return peers;
  }

  /** The index of the peer that leads now, waiting up to 10 s for one. */
  public int leader() {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() - deadline < 0) {
      for (int i = 0; i < peers.size(); i++) {
        CoordinatorPeer p = peers.get(i);
        if (p != null && p.isLeader()) {
          return i;
        }
      }
      sleep(20);
    }
    throw new IllegalStateException("no coordinator leader");
  }

  /** Stops coordinator peer {@code i}. */
  public void killCoordinator(int i) {
    CoordinatorPeer p = peers.get(i);
    if (p != null) {
      peers.set(i, null);
      p.close();
    }
  }

  /** Starts coordinator peer {@code i} again, on its log. */
  public void restartCoordinator(int i) {
    killCoordinator(i);
    peers.set(i, CoordinatorPeer.start(peerSettings.get(i)));
  }

  public Path root() {
    return root;
  }

  public Duration ttl() {
    return b.ttl;
  }

  private void closeAfterFailure(Throwable cause) {
    try {
      close();
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * Stops everything that runs and deletes the directory; copes with a cluster whose start failed
   * half-way, and carries on past a part that fails to stop (the first failure is thrown last).
   */
  @Override
  public void close() {
    RuntimeException failure = null;
    List<Runnable> steps = new ArrayList<>();
    for (int i = 0; i < sites.size(); i++) {
      int site = i;
      steps.add(() -> kill(site));
    }
    for (int i = 0; i < peers.size(); i++) {
      int peer = i;
      steps.add(() -> killCoordinator(peer));
    }
    steps.add(() -> {
      coordinatorRelays.forEach(relays -> relays.forEach(Relay::close));
      originRelays.forEach(Relay::close);
      peerRelays.forEach(Relay::close);
    });
    steps.add(() -> {
      if (backdoor != null) {
        backdoor.close();
      }
    });
    steps.add(() -> {
      if (s3proxy != null) {
        s3proxy.close();
      }
    });
    steps.add(() -> {
      try (Stream<Path> all = Files.walk(root)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    for (Runnable step : steps) {
      try {
        step.run();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Builds a cluster. */
  public static final class Builder {
    private OriginKind originKind = OriginKind.DIRECTORY;
    private int sites = 1;
    private int coordinators = -1;
    private long chunkSize = 1024 * 1024;
    private long cacheSize = 256L * 1024 * 1024;
    private String bodyTimeout = Setting.BODY_TIMEOUT.defaultValue();
    private String originCheck = Setting.ORIGIN_CHECK.defaultValue();
    private Duration ttl = CoordinatorSettings.DEFAULT_TTL;
    private boolean secure;
    private boolean relayed;
    private final Map<Integer, Map<Setting, String>> siteSettings = new java.util.HashMap<>();
    private final java.util.Map<Setting, String> settings = new java.util.EnumMap<>(Setting.class);

    private Builder() {}

    public Builder origin(OriginKind kind) {
      this.originKind = kind;
      return this;
    }

    public Builder sites(int n) {
      this.sites = n;
      return this;
    }

    /**
     * Coordinator peers: 0 to let a lone site embed its own; default 1 with several sites and 0
     * with one.
     */
    public Builder coordinators(int n) {
      this.coordinators = n;
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

    /** How long a known version is served before the origin is asked again, such as {@code 1s}. */
    public Builder originCheck(String duration) {
      this.originCheck = duration;
      return this;
    }

    /** Any other setting, for site {@code i} only (over one set for every site). */
    public Builder set(int i, Setting setting, String value) {
      siteSettings
          .computeIfAbsent(i, k -> new java.util.EnumMap<>(Setting.class))
          .put(setting, value);
      return this;
    }

    /** Any other setting, for every site. */
    public Builder set(Setting setting, String value) {
      settings.put(setting, value);
      return this;
    }

    /**
     * Mutual TLS on every internal link: a namespace authority in {@link #certsDir}, a certificate
     * for each peer and site, and an operator's certificate the sites' admin APIs act with.
     */
    public Builder secure() {
      this.secure = true;
      return this;
    }

    /**
     * Every site reaches each coordinator peer and the origin (S3Proxy) through {@link Relay}s of
     * its own (so each site has its own origin endpoint, and the sites name the store {@code
     * s3proxy} with {@code origin-name}), with no delay until {@link LocalCluster#distance} or
     * {@link LocalCluster#originRelay} sets one: the same topology near and far, so that a
     * distance's cost is the difference. Use one coordinator peer: a site that follows a leader
     * goes to the address the leader gave, not through its relay.
     */
    public Builder relayed() {
      this.relayed = true;
      return this;
    }

    /** Session lifetime without a renewal. */
    public Builder ttl(Duration ttl) {
      this.ttl = ttl;
      return this;
    }

    /** Starts the cluster; if a part fails to start, stops what did and throws. */
    public LocalCluster start() {
      LocalCluster c;
      try {
        c = new LocalCluster(this);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      try {
        c.startAll();
        return c;
      } catch (IOException e) {
        c.closeAfterFailure(e);
        throw new UncheckedIOException(e);
      } catch (RuntimeException | Error e) {
        c.closeAfterFailure(e);
        throw e;
      }
    }
  }
}
