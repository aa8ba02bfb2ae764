package dev.leasehold.cli;

import dev.leasehold.tls.CertificateAuthority;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code leasehold demo}: a whole namespace on one machine, as separate processes: three
 * coordinator peers and three sites over one directory origin. Prints every endpoint, keeps each
 * process's output in a log file, and stops them all when stopped itself. Processes may be killed
 * one at a time to watch the namespace ride it out. Every internal link is mutual TLS: the demo
 * makes its namespace's certificates in {@code <data-dir>/certs} the first time (docs/security.md).
 *
 * <p>Owns its child processes; only the main thread and the shutdown hook touch the list, and the
 * hook runs after the main thread has started them all or failed.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Starts 3 coordinator peers and 3 sites over one directory origin, as separate",
      "processes on this machine, and prints their endpoints. Ctrl-C stops them all."
    })
final class DemoCommand implements Callable<Integer> {
  static final int PEERS = 3;
  static final int SITES = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where the origin, the peers and the sites keep their data. Default: ${DEFAULT-VALUE}.")
  Path dataDir = Path.of("leasehold-data", "demo");

  @Option(
      names = "--base-port",
      paramLabel = "PORT",
      description = {
        "Ports: sites' S3 on PORT+1..3, their admin on PORT+11..13, the peers' client ports on",
        "PORT+21..23 and Raft ports on PORT+31..33. 0 picks free ports. Default: ${DEFAULT-VALUE}."
      })
  int basePort = 9100;

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      description = "The address every process listens on. Default: ${DEFAULT-VALUE}.")
  String bind = "127.0.0.1";

  @CommandLine.Mixin SessionOptions session = new SessionOptions();

  private record Child(String name, String detail, Process process, Path log) {}

  private final List<Child> children = new ArrayList<>();

  @Override
  public Integer call() throws IOException, InterruptedException {
    session.ttl(); // checked before anything starts
    session.drift();
    Path root = dataDir.toAbsolutePath().normalize();
    DataDirectory.restrict(root);
    Path logs = Files.createDirectories(root.resolve("logs"));
    Path origin = Files.createDirectories(root.resolve("origin"));
    CredentialStore.Loaded credentials =
        CredentialStore.load(root.resolve("meta"), System.getenv());
    int[] ports = ports();
    Path certs = certificates(root.resolve("certs"));
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAll(stopped), "shutdown"));

    List<String> peers = new ArrayList<>();
    List<String> clients = new ArrayList<>();
    for (int i = 1; i <= PEERS; i++) {
      peers.add("c" + i + "=" + bind + ":" + ports[30 + i]);
      clients.add(bind + ":" + ports[20 + i]);
    }
    for (int i = 1; i <= PEERS; i++) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "coordinator",
                  "--id=c" + i,
                  "--data-dir=" + root.resolve("c" + i),
                  "--port=" + ports[20 + i],
                  "--raft-port=" + ports[30 + i],
                  "--peers=" + String.join(",", peers),
                  "--bind=" + bind,
                  "--certs-dir=" + certs));
      args.addAll(session.asArguments());
      start(
          "c" + i,
          "client " + clients.get(i - 1) + "  raft " + bind + ":" + ports[30 + i],
          logs,
          Map.of(),
          args.toArray(String[]::new));
    }
    Map<String, String> keys =
        Map.of(
            "LEASEHOLD_ACCESS_KEY", credentials.credentials().accessKey(),
            "LEASEHOLD_SECRET_KEY", credentials.credentials().secretKey());
    List<String> readiness = new ArrayList<>();
    for (int i = 1; i <= SITES; i++) {
      String s3 = "https://" + bind + ":" + ports[i];
      String admin = "https://" + bind + ":" + ports[10 + i];
      readiness.add(admin + "/health/ready");
      start(
          "site" + i,
          "S3 " + s3 + "  admin " + admin,
          logs,
          keys,
          "serve",
          "--site=site" + i,
          "--coordinator=" + String.join(",", clients),
          "--data-dir=" + root.resolve("site" + i),
          "--s3-port=" + ports[i],
          "--admin-port=" + ports[10 + i],
          "--peer-port=0",
          "--bind=" + bind,
          "--admin-bind=" + bind,
          "--certs-dir=" + certs,
          "--origin=" + origin.toUri());
    }
    out.println("Leasehold demo: starting 3 coordinator peers and 3 sites (logs in " + logs + ")");
    out.flush();
    String failed =
        awaitReady(readiness, NodeCertificates.clientTrusting(certs), Duration.ofMinutes(3));
    if (failed != null) {
      out.println("leasehold demo: " + failed);
      out.flush();
      return 1;
    }
    banner(out, origin, certs, credentials, ports[1], ports[2], ports[11]);
    watch(out);
    stopped.await();
    return 0;
  }

  /**
   * The namespace's certificates in {@code dir}, made the first time: an authority, one node
   * certificate per peer and site (for {@code --bind} and loopback), and the operator's the sites'
   * admin APIs act with.
   */
  private Path certificates(Path dir) throws IOException {
    if (Files.exists(dir.resolve(NodeCertificates.CA_CERT))) {
      return dir;
    }
    CertificateAuthority.createCa(dir);
    List<String> hosts = new ArrayList<>(List.of(bind));
    if (!bind.equals("127.0.0.1")) {
      hosts.add("127.0.0.1");
    }
    for (int i = 1; i <= PEERS; i++) {
      CertificateAuthority.createNode(dir, "c" + i, hosts);
    }
    for (int i = 1; i <= SITES; i++) {
      CertificateAuthority.createNode(dir, "site" + i, hosts);
    }
    CertificateAuthority.createClient(dir, Site.OPERATOR_CERT, true);
    return dir;
  }

  /** The ports, by the layout of --base-port; with 0, distinct free ones. */
  private int[] ports() throws IOException {
    int[] ports = new int[40];
    List<ServerSocket> held = new ArrayList<>(); // open until all are picked: no port twice
    try {
      for (int i = 1; i <= 33; i++) {
        if (basePort != 0) {
          ports[i] = basePort + i;
        } else if (i % 10 >= 1 && i % 10 <= 3) {
          ServerSocket s = new ServerSocket();
          held.add(s);
          s.bind(new InetSocketAddress(bind, 0));
          ports[i] = s.getLocalPort();
        }
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }

  /** Starts {@code leasehold ARGS} as a child process on this JVM's Java and class path. */
  private void start(String name, String detail, Path logs, Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx512m");
    command.add("--enable-native-access=ALL-UNNAMED");
    if (Runtime.version().feature() >= 24) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    Path log = logs.resolve(name + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    builder.environment().putAll(env);
    synchronized (children) {
      children.add(new Child(name, detail, builder.start(), log));
    }
  }

  /**
   * Waits for every site to say it is ready (over HTTPS, trusting {@code tls}); null, or what went
   * wrong.
   */
  private @Nullable String awaitReady(List<String> urls, SSLContext tls, Duration timeout)
      throws InterruptedException {
    HttpClient http =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(tls).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    for (String url : urls) {
      while (true) {
        for (Child c : snapshot()) {
          if (!c.process().isAlive()) {
            return c.name() + " exited with code " + c.process().exitValue() + "; see " + c.log();
          }
        }
        if (ready(http, url)) {
          break;
        }
        if (System.nanoTime() - deadline > 0) {
          return url + " was not ready after " + timeout.toSeconds() + "s";
        }
        Thread.sleep(250);
      }
    }
    return null;
  }

  private static boolean ready(HttpClient http, String url) throws InterruptedException {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  private void banner(
      PrintWriter out,
      Path origin,
      Path certs,
      CredentialStore.Loaded credentials,
      int s3a,
      int s3b,
      int adminA) {
    out.println("Leasehold demo is running.");
    for (Child c : snapshot()) {
      out.printf("  %-6s %s  pid %d%n", c.name(), c.detail(), c.process().pid());
    }
    out.println("  origin " + origin.toUri());
    out.println(
        "  certs  "
            + certs
            + " (mutual TLS on every internal link; CA bundle "
            + certs.resolve(NodeCertificates.CA_CERT)
            + ")");
    out.println("  access key " + credentials.credentials().accessKey());
    out.println("  secret key " + credentials.credentials().secretKey());
    out.println(
        "  dashboard https://"
            + bind
            + ":"
            + adminA
            + "/ (signed by the demo's authority: trust its ca.crt, or accept it once)");
    out.println();
    out.println("Try it: write at site1, read at site2 (kill -9 any one process: it carries on):");
    out.println(
        "  export AWS_ACCESS_KEY_ID="
            + credentials.credentials().accessKey()
            + " AWS_SECRET_ACCESS_KEY="
            + credentials.credentials().secretKey()
            + " AWS_REGION=us-east-1");
    String bundle = " --ca-bundle " + certs.resolve(NodeCertificates.CA_CERT);
    out.println("  aws --endpoint-url https://" + bind + ":" + s3a + bundle + " s3 mb s3://demo");
    out.println(
        "  aws --endpoint-url https://"
            + bind
            + ":"
            + s3a
            + bundle
            + " s3 cp README.md s3://demo/");
    out.println(
        "  aws --endpoint-url https://"
            + bind
            + ":"
            + s3b
            + bundle
            + " s3 cp s3://demo/README.md -");
    out.println("Stop with Ctrl-C: it stops every process.");
    out.flush();
  }

  /** Says when a child exits (a demo may kill one on purpose); returns when all have exited. */
  private void watch(PrintWriter out) {
    for (Child c : snapshot()) {
      c.process()
          .onExit()
          .thenAccept(p -> {
            synchronized (out) {
              out.println(c.name() + " exited with code " + p.exitValue() + "; see " + c.log());
              out.flush();
            }
          });
    }
  }

  private List<Child> snapshot() {
    synchronized (children) {
      return List.copyOf(children);
    }
  }

  /** Stops every child: asks first, then forces those still running after 10 seconds. */
  private void stopAll(CountDownLatch stopped) {
    List<Child> all = snapshot();
    all.forEach(c -> c.process().destroy());
    for (Child c : all) {
      try {
        if (!c.process().waitFor(10, TimeUnit.SECONDS)) {
          c.process().destroyForcibly();
        }
      } catch (InterruptedException e) {
        c.process().destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    stopped.countDown();
  }
}
