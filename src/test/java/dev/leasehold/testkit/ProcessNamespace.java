package dev.leasehold.testkit;

import com.google.common.base.Suppliers;
import dev.leasehold.protocol.StatusReply;
import dev.leasehold.tls.CertificateAuthority;
import dev.leasehold.tls.NodeCertificates;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A namespace of real processes, as an operator runs one: coordinator peers ({@code leasehold
 * coordinator}) and sites ({@code leasehold serve}) started from the built jar, over S3Proxy on
 * loopback as the origin (in the test's JVM). Peers keep their data directory and ports across
 * restarts; a site keeps its data directory and gets new ports (read from its banner). Every
 * process's output is in {@code <root>/logs}, and {@link #logs()} gathers their tails for a failure
 * message. Every internal link is mutual TLS, as across hosts: a namespace authority in {@code
 * <root>/certs} issues each peer's and site's certificate, and an operator's.
 *
 * <p>Not thread-safe: built, faulted and closed from the test thread. {@link #site(int)} returns an
 * immutable view that load threads may use while the test thread restarts the site.
 */
public final class ProcessNamespace implements AutoCloseable, Workload.Sites {
  private static final Pattern CLIENT_ADDRESS = Pattern.compile("^\\s+client address\\s+(\\S+)");
  private static final Pattern HEALTH = Pattern.compile("^\\s+health\\s+(\\S+)/health/ready");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  /** Where to reach a running site; replaced, not changed, when the site restarts. */
  public record SiteEndpoints(String name, URI s3, URI admin) {}

  private final Path root;
  private final Duration ttl;
  private final List<String> peerFlags;
  private final S3ProxyServer origin;
  private final List<JarProcess> peers = new ArrayList<>();
  private final List<String> peerClients = new ArrayList<>();

  /** Each peer's Raft address, host:port, by index. */
  private final List<String> peerRaft = new ArrayList<>();

  private final List<JarProcess> sites = new ArrayList<>();

  /** Each site's endpoints now, null while it is down or restarting (read by load threads). */
  private final List<@Nullable SiteEndpoints> endpoints =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Made at first use, after the namespace's authority is trusted (the admin ports are https). */
  private final Supplier<HttpClient> http = Suppliers.memoize(Clients::http)::get;

  private ProcessNamespace(Path root, Duration ttl, List<String> peerFlags) {
    this.root = root;
    this.peerFlags = peerFlags;
    this.ttl = ttl;
    this.origin = S3ProxyServer.start();
  }

  /**
   * Starts {@code peerCount} coordinator peers and {@code siteCount} sites under a new temporary
   * directory, and waits until every site is ready. Whatever started is stopped if a start fails.
   */
  public static ProcessNamespace start(int peerCount, int siteCount, Duration ttl) {
    return start(peerCount, siteCount, ttl, new String[0]);
  }

  /**
   * {@link #start(int, int, Duration)} with more flags of {@code leasehold coordinator} for every
   * peer ({@code --snapshot-every=200}).
   */
  public static ProcessNamespace start(
      int peerCount, int siteCount, Duration ttl, String... peerFlags) {
    Path root;
    try {
      root = Files.createTempDirectory("leasehold-ns-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ProcessNamespace ns = null;
    try {
      ns = new ProcessNamespace(root, ttl, List.of(peerFlags));
      CertificateAuthority.createCa(ns.certs());
      CertificateAuthority.createClient(ns.certs(), "operator", true);
      Clients.trust(ns.certs().resolve("ca.crt")); // the sites serve S3 over HTTPS
      ns.startPeers(peerCount);
      for (int i = 0; i < siteCount; i++) {
        ns.addSite();
      }
      for (int i = 0; i < siteCount; i++) {
        ns.awaitReady(i, START_TIMEOUT);
      }
      return ns;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      if (ns != null) {
        e.addSuppressed(new IllegalStateException("logs:\n" + ns.logs()));
        ns.close();
      } else {
        delete(root);
      }
      throw e;
    }
  }

  /** The namespace's certificates directory. */
  public Path certs() {
    return root.resolve("certs");
  }

  private void certificate(String name) {
    try {
      if (!Files.exists(certs().resolve(name + ".crt"))) {
        CertificateAuthority.createNode(certs(), name, List.of("127.0.0.1"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void startPeers(int n) {
    try (Ports raft = Ports.reserve(n);
        Ports client = Ports.reserve(n)) {
      List<String> group = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        group.add("c" + (i + 1) + "=127.0.0.1:" + raft.get(i));
        peerRaft.add("127.0.0.1:" + raft.get(i));
      }
      raft.release();
      client.release();
      for (int i = 0; i < n; i++) {
        peers.add(startPeerProcess("c" + (i + 1), client.get(i), group));
      }
      for (JarProcess p : peers) {
        peerClients.add(p.await(CLIENT_ADDRESS, START_TIMEOUT));
      }
    }
  }

  /**
   * Starts one more coordinator peer, {@code c<n+1>}, on a new data directory and new ports, with
   * {@code --join} and {@code --peers} naming the running peers and itself (as an operator
   * replacing a machine does); returns its index once its banner is out. It is not in the group
   * until {@code admin coordinator add-peer} adds it. Sites started afterwards name it too.
   */
  public int addJoiningPeer() {
    int i = peers.size();
    String id = "c" + (i + 1);
    try (Ports ports = Ports.reserve(2)) {
      String raftAddress = "127.0.0.1:" + ports.get(0);
      List<String> group = new ArrayList<>();
      for (int p = 0; p < peers.size(); p++) {
        if (peers.get(p).isAlive()) {
          group.add("c" + (p + 1) + "=" + peerRaft.get(p));
        }
      }
      group.add(id + "=" + raftAddress);
      ports.release();
      JarProcess peer = startPeerProcess(id, ports.get(1), group, "--join");
      peers.add(peer);
      peerRaft.add(raftAddress);
      peerClients.add(peer.await(CLIENT_ADDRESS, START_TIMEOUT));
    }
    return i;
  }

  /**
   * Starts coordinator peer {@code id} (its certificate made if need be) on {@code clientPort}, in
   * {@code group}, with the namespace's peer flags and {@code more}.
   */
  private JarProcess startPeerProcess(
      String id, int clientPort, List<String> group, String... more) {
    certificate(id);
    List<String> args =
        new ArrayList<>(
            List.of(
                "coordinator",
                "--id=" + id,
                "--data-dir=" + root.resolve(id),
                "--port=" + clientPort,
                "--peers=" + String.join(",", group),
                "--bind=127.0.0.1",
                "--certs-dir=" + certs(),
                "--ttl=" + ttl.toMillis() + "ms"));
    args.addAll(List.of(more));
    args.addAll(peerFlags);
    return JarProcess.start(
        id, root.resolve("logs").resolve(id + ".log"), Map.of(), args.toArray(String[]::new));
  }

  /**
   * {@code leasehold admin ARGS} against site {@code i}'s admin endpoint, as an operator runs it
   * (the namespace's authority trusted, the site's stored token): its exit code and output.
   */
  public Map.Entry<Integer, String> admin(int i, String... args) {
    return AdminCli.run(site(i).admin(), root.resolve(site(i).name()), certs(), args);
  }

  /** Peer {@code i}'s Raft address, host:port. */
  public String peerRaftAddress(int i) {
    return peerRaft.get(i);
  }

  /** Starts one more site over the same coordinator group and origin; returns its index. */
  public int addSite() {
    return addSite(new String[0]);
  }

  /**
   * {@link #addSite()} with more flags of {@code leasehold serve} ({@code --flush-delay=1h});
   * returns its index.
   */
  public int addSite(String... flags) {
    int i = sites.size();
    String name = "site" + (i + 1);
    certificate(name);
    JarProcess site =
        JarProcess.start(
            name,
            root.resolve("logs").resolve(name + ".log"),
            Map.of(
                "LEASEHOLD_ACCESS_KEY",
                LocalCluster.CREDENTIALS.accessKey(),
                "LEASEHOLD_SECRET_KEY",
                LocalCluster.CREDENTIALS.secretKey(),
                "LEASEHOLD_ORIGIN_ACCESS_KEY",
                S3ProxyServer.ACCESS_KEY,
                "LEASEHOLD_ORIGIN_SECRET_KEY",
                S3ProxyServer.SECRET_KEY),
            siteArgs(name, flags));
    sites.add(site);
    endpoints.add(endpointsOf(site));
    return i;
  }

  /** A site's command line: the defaults (ports 0: any), each replaced by a flag of its name. */
  private String[] siteArgs(String name, String... flags) {
    Map<String, String> args = new java.util.LinkedHashMap<>();
    args.put("--site", name);
    args.put("--coordinator", String.join(",", peerClients));
    args.put("--data-dir", root.resolve(name).toString());
    args.put("--s3-port", "0");
    args.put("--admin-port", "0");
    args.put("--peer-port", "0");
    args.put("--certs-dir", certs().toString());
    args.put(
        "--origin", "s3://?endpoint=" + origin.endpoint() + "&region=us-east-1&path-style=true");
    for (String f : flags) {
      int eq = f.indexOf('=');
      args.put(eq < 0 ? f : f.substring(0, eq), eq < 0 ? "" : f.substring(eq + 1));
    }
    List<String> out = new ArrayList<>(List.of("serve"));
    args.forEach((k, v) -> out.add(v.isEmpty() ? k : k + "=" + v));
    return out.toArray(String[]::new);
  }

  private static SiteEndpoints endpointsOf(JarProcess site) {
    URI s3 = URI.create(site.await(BuiltJar.S3_ENDPOINT, START_TIMEOUT));
    URI admin = URI.create(site.await(HEALTH, START_TIMEOUT));
    return new SiteEndpoints(site.name(), s3, admin);
  }

  public int peerCount() {
    return peers.size();
  }

  public int siteCount() {
    return sites.size();
  }

  public JarProcess peer(int i) {
    return peers.get(i);
  }

  public JarProcess siteProcess(int i) {
    return sites.get(i);
  }

  /** Where site {@code i} answers now. */
  public SiteEndpoints site(int i) {
    SiteEndpoints e = endpoints.get(i);
    if (e == null) {
      throw new IllegalStateException("site " + (i + 1) + " is down");
    }
    return e;
  }

  @Override
  public int size() {
    return sites.size();
  }

  @Override
  public URI s3(int i) {
    return site(i).s3();
  }

  @Override
  public boolean isUp(int i) {
    return endpoints.get(i) != null;
  }

  /** A path-style SDK client (no retries) for site {@code i} as it answers now. */
  public S3Client client(int i) {
    return Clients.s3(site(i).s3(), LocalCluster.CREDENTIALS);
  }

  /** A connection to the origin that bypasses every site. */
  public URI originEndpoint() {
    return origin.endpoint();
  }

  /** Stops peer {@code i} with SIGTERM and starts it again on its data directory and ports. */
  public void restartPeer(int i) {
    long started = System.nanoTime();
    peers.get(i).stop();
    long stopped = System.nanoTime();
    startPeer(i);
    timed("peer " + (i + 1), started, stopped);
  }

  /** Kills peer {@code i} with SIGKILL (checked dead); {@link #startPeer} brings it back. */
  public void killPeer(int i) {
    peers.get(i).kill();
  }

  /** Starts peer {@code i} again on its data directory and ports, once its banner is out. */
  public void startPeer(int i) {
    JarProcess p = peers.get(i);
    p.startAgain();
    p.await(CLIENT_ADDRESS, START_TIMEOUT);
  }

  /** Stops site {@code i} with SIGTERM and starts it again on its data directory. */
  public void restartSite(int i) {
    endpoints.set(i, null);
    long started = System.nanoTime();
    sites.get(i).stop();
    long stopped = System.nanoTime();
    // SIGTERM is a graceful stop: the site drains, flushes, ends its session and exits 0.
    int exit = sites.get(i).exitValue();
    if (exit != 0) {
      throw new AssertionError(
          "site " + (i + 1) + " exited " + exit + " after SIGTERM\n" + sites.get(i).tail(40));
    }
    startSite(i);
    timed("site " + (i + 1), started, stopped);
  }

  /** Prints how long a restart's stop and start took (where a long test spends its time). */
  private static void timed(String what, long started, long stopped) {
    System.out.printf(
        "%s: stopped in %d ms, started in %d ms%n",
        what,
        java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(stopped - started),
        java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped));
  }

  /** Kills site {@code i} with SIGKILL (checked dead); {@link #startSite} brings it back. */
  public void killSite(int i) {
    endpoints.set(i, null);
    sites.get(i).kill();
  }

  /** Starts site {@code i} again on its data directory; its new endpoints once it prints them. */
  public void startSite(int i) {
    JarProcess s = sites.get(i);
    s.startAgain();
    endpoints.set(i, endpointsOf(s));
  }

  /**
   * The index of the peer that leads, as the running peers' Status answers name it, waiting up to
   * {@code timeout} for them to name one that runs.
   */
  public int leader(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (int i = 0; i < peers.size(); i++) {
        if (!peers.get(i).isAlive()) {
          continue;
        }
        String id = status(i).map(StatusReply::getLeaderId).orElse("");
        int leader = id.startsWith("c") ? Integer.parseInt(id.substring(1)) - 1 : -1;
        if (leader >= 0 && leader < peers.size() && peers.get(leader).isAlive()) {
          return leader;
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "no peer named a running leader within " + timeout + "\n" + logs());
      }
      pause(100);
    }
  }

  /**
   * Waits until every peer is running and has applied at least what the most advanced one had
   * applied when the wait began: each is a working member of the group, not a process whose Raft
   * server stopped under it. Returns the index they all reached.
   *
   * @throws AssertionError naming each peer's applied index and every log, if they did not
   */
  public long awaitPeersCaughtUp(Duration timeout) {
    long target = -1;
    for (int i = 0; i < peers.size(); i++) {
      target = Math.max(target, appliedIndex(i));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Long> applied = new ArrayList<>();
      boolean all = true;
      for (int i = 0; i < peers.size(); i++) {
        long a = peers.get(i).isAlive() ? appliedIndex(i) : -1;
        applied.add(a);
        all &= a >= target;
      }
      if (all) {
        return target;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "the peers' applied indexes are "
                + applied
                + " (-1: not running or not answering), not all at "
                + target
                + " within "
                + timeout
                + "\n"
                + logs());
      }
      pause(100);
    }
  }

  /** The index peer {@code i} says it has applied, -1 if it does not answer. */
  public long appliedIndex(int i) {
    return status(i).map(StatusReply::getAppliedIndex).orElse(-1L);
  }

  /** What peer {@code i}'s Status call answers, or nothing if it does not answer in 2 s. */
  public java.util.Optional<StatusReply> status(int i) {
    try {
      return java.util.Optional.of(
          CoordinatorStatus.of(
              peerClients.get(i),
              Duration.ofSeconds(2),
              NodeCertificates.load(certs(), "operator")));
    } catch (StatusRuntimeException e) {
      return java.util.Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What site {@code i}'s {@code /health/ready} answers: status, then body. */
  public Map.Entry<Integer, String> readiness(int i) {
    try {
      HttpResponse<String> r =
          http.get()
              .send(
                  HttpRequest.newBuilder(site(i).admin().resolve("/health/ready"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      return Map.entry(r.statusCode(), r.body());
    } catch (IOException e) {
      return Map.entry(0, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until site {@code i} answers ready, up to {@code timeout}; returns how long it took.
   *
   * @throws AssertionError naming its last answer and every process's log, if it did not
   */
  public Duration awaitReady(int i, Duration timeout) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    Map.Entry<Integer, String> last;
    while (true) {
      last = readiness(i);
      if (last.getKey() == 200) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            site(i).name()
                + " was not ready within "
                + timeout
                + "; it answers "
                + last
                + "\n"
                + logs());
      }
      pause(100);
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The last lines of every process's log. */
  public String logs() {
    StringBuilder out = new StringBuilder();
    for (JarProcess p : peers) {
      out.append(p.tail(30)).append('\n');
    }
    for (JarProcess s : sites) {
      out.append(s.tail(30)).append('\n');
    }
    return out.toString();
  }

  public Path root() {
    return root;
  }

  /** Kills every process still running, stops the origin, and deletes the directory. */
  @Override
  public void close() {
    for (JarProcess s : sites) {
      s.close();
    }
    for (JarProcess p : peers) {
      p.close();
    }
    origin.close();
    keepLogs();
    delete(root);
  }

  /** Copies the processes' logs to {@code target/namespace-logs/}, to read after a failure. */
  private void keepLogs() {
    Path logs = root.resolve("logs");
    Path kept = Path.of("target", "namespace-logs", root.getFileName().toString());
    try (Stream<Path> files = Files.exists(logs) ? Files.list(logs) : Stream.empty()) {
      Files.createDirectories(kept);
      for (Path f : files.toList()) {
        Files.copy(f, kept.resolve(f.getFileName()));
      }
    } catch (IOException e) {
      // the logs are a convenience; the test's own outcome stands
    }
  }

  /** Deletes a directory tree (what a test made under the temporary directory). */
  static void delete(Path root) {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
