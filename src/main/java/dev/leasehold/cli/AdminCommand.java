package dev.leasehold.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code leasehold admin}: the admin API from the command line. Each subcommand is one call (warm
 * follows its job with a progress bar). Exit codes: 0 done, 1 the site refused or failed, 2 bad
 * usage.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT, // --help and --version on every subcommand too
    description = "Asks a site's admin API (on its admin port) what it knows, or to act.",
    subcommands = {
      AdminCommand.Sites.class,
      AdminCommand.Cache.class,
      AdminCommand.Buckets.class,
      AdminCommand.Lease.class,
      AdminCommand.Warm.class,
      AdminCommand.WriteMode.class,
      AdminCommand.DeclareLost.class,
      AdminCommand.CoordinatorGroup.class,
      AdminCommand.Ready.class
    })
final class AdminCommand {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = "--url",
      paramLabel = "URL",
      description = {
        "The site's admin endpoint. Default: http://127.0.0.1:9001, or",
        "https://127.0.0.1:9001 with --certs-dir."
      })
  @Nullable String url;

  @Option(
      names = "--certs-dir",
      paramLabel = "DIR",
      description = {
        "The namespace's certificates directory: its ca.crt is the only authority trusted",
        "for an https admin endpoint (a site started with --certs-dir serves one)."
      })
  @Nullable Path certsDir;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = {
        "The site's admin token. Default: $LEASEHOLD_ADMIN_TOKEN, else the one stored in",
        "<data-dir>/meta/admin-token."
      })
  @Nullable String token;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "The site's data directory, for its stored token. Default: ${DEFAULT-VALUE}.")
  Path dataDir = Path.of("leasehold-data");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The admin endpoint asked. */
  String url() {
    return url != null ? url : (certsDir != null ? "https" : "http") + "://127.0.0.1:9001";
  }

  private HttpClient http() throws IOException {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (certsDir != null) {
      b.sslContext(NodeCertificates.clientTrusting(certsDir));
    }
    return b.build();
  }

  /** One call; the JSON answer, or a {@link CommandLine.ExecutionException} naming the error. */
  JsonNode call(String method, String path) {
    return call(method, path, Duration.ofSeconds(30));
  }

  /** {@link #call(String, String)} that may take {@code timeout}. */
  JsonNode call(String method, String path, Duration timeout) {
    String t = token != null ? token : System.getenv(CredentialStore.ADMIN_TOKEN_ENV);
    String url = url();
    try (HttpClient http = http()) {
      if (t == null || t.isBlank()) {
        t = CredentialStore.storedAdminToken(dataDir.resolve("meta"));
      }
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(url + "/admin/v1/" + path))
              .header("Authorization", "Bearer " + t.trim())
              .method(method, HttpRequest.BodyPublishers.noBody())
              .timeout(timeout)
              .build();
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      JsonNode answer = JSON.readTree(r.body());
      if (r.statusCode() >= 300 && r.statusCode() != 202) {
        throw new CommandLine.ExecutionException(
            spec.commandLine(),
            "the site answered " + r.statusCode() + ": " + answer.path("message").asText());
      }
      return answer;
    } catch (IOException e) {
      // No cause: picocli would hand the cause, not this message, to the exception handler.
      throw new CommandLine.ExecutionException(
          spec.commandLine(), "cannot reach " + url + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandLine.ExecutionException(spec.commandLine(), "interrupted");
    }
  }

  void print(JsonNode answer) {
    PrintWriter out = spec.commandLine().getOut();
    try {
      out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer));
    } catch (IOException e) {
      out.println(answer);
    }
    out.flush();
  }

  static String q(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  @Command(name = "sites", description = "Every site of the namespace, and this one's session.")
  static final class Sites implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Override
    public Integer call() {
      admin.print(admin.call("GET", "sites"));
      return 0;
    }
  }

  @Command(name = "buckets", description = "Every bucket, its origin and its write mode.")
  static final class Buckets implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Override
    public Integer call() {
      admin.print(admin.call("GET", "buckets"));
      return 0;
    }
  }

  @Command(
      name = "write-mode",
      description = "Sets a bucket's write mode, for every site: write-back or write-through.")
  static final class WriteMode implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Parameters(index = "0", paramLabel = "BUCKET")
    String bucket = "";

    @Parameters(index = "1", paramLabel = "MODE", description = "write-back or write-through")
    String mode = "";

    @Option(
        names = "--policy",
        paramLabel = "POLICY",
        description =
            "A request for an object another site owns: adaptive (redirect while the owner wrote"
                + " it in the last 2 s, else recall), redirect, or recall. Default: ${DEFAULT-VALUE}.")
    String policy = "adaptive";

    @Override
    public Integer call() {
      admin.print(
          admin.call(
              "POST",
              "write-mode?bucket=" + q(bucket) + "&mode=" + q(mode) + "&policy=" + q(policy)));
      return 0;
    }
  }

  @Command(
      name = "declare-lost",
      description =
          "Declares a site lost for good: its unflushed writes fall back to their last flushed"
              + " versions; prints the objects lost.")
  static final class DeclareLost implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Parameters(index = "0", paramLabel = "SITE")
    String site = "";

    @Override
    public Integer call() {
      admin.print(admin.call("POST", "declare-lost?site=" + q(site)));
      return 0;
    }
  }

  /**
   * {@code admin coordinator}: the coordinator group, and its changes (docs/operations.md,
   * Replacing a coordinator peer). Made through the site's admin API, which acts with the operator
   * certificate.
   */
  @Command(
      name = "coordinator",
      description = "The coordinator group: its peers and leader, or a change of it.")
  static final class CoordinatorGroup implements Callable<Integer> {
    /** Longer than the site's own budget for a change (a new peer catches up first). */
    static final Duration GROUP_CHANGE = Duration.ofSeconds(120);

    @CommandLine.ParentCommand AdminCommand admin;

    /** With no subcommand: the group as it is. */
    @Override
    public Integer call() {
      admin.print(admin.call("GET", "coordinator"));
      return 0;
    }

    @Command(
        name = "add-peer",
        description = {
          "Adds a running peer to the group (start it first with `leasehold coordinator --join`).",
          "It catches up from the leader's log or snapshot before the new group takes effect."
        })
    int addPeer(
        @Parameters(index = "0", paramLabel = "ID") String id,
        @Parameters(index = "1", paramLabel = "HOST:RAFT_PORT") String address) {
      return change("add-peer?id=" + q(id) + "&address=" + q(address));
    }

    @Command(
        name = "remove-peer",
        description = "Removes a peer from the group (running or not); stop it afterwards.")
    int removePeer(@Parameters(index = "0", paramLabel = "ID") String id) {
      return change("remove-peer?id=" + q(id));
    }

    @Command(
        name = "transfer-leader",
        description = "Moves the leadership to a peer (before stopping the leader's machine).")
    int transferLeader(@Parameters(index = "0", paramLabel = "ID") String id) {
      return change("transfer-leader?id=" + q(id));
    }

    /** One change of the group through the admin API; prints the group after it. */
    private int change(String call) {
      admin.print(admin.call("POST", "coordinator/" + call, GROUP_CHANGE));
      return 0;
    }
  }

  /**
   * {@code admin ready}: the site's {@code /health/ready}, for a container's health check: exit 0
   * when it answers 200, else 1 with its reason. Needs no token.
   */
  @Command(
      name = "ready",
      description = "Whether the site is ready (/health/ready answers 200): exit 0, else 1.")
  static final class Ready implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Override
    public Integer call() throws InterruptedException {
      String url = admin.url() + "/health/ready";
      PrintWriter out = admin.spec.commandLine().getOut();
      try (HttpClient http = admin.http()) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        out.println(r.statusCode() + " " + r.body());
        out.flush();
        return r.statusCode() == 200 ? 0 : 1;
      } catch (IOException e) {
        out.println("cannot reach " + url + ": " + e.getMessage());
        out.flush();
        return 1;
      }
    }
  }

  @Command(name = "cache", description = "The site's cache: size, budget, chunks, hits, misses.")
  static final class Cache implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Override
    public Integer call() {
      admin.print(admin.call("GET", "cache"));
      return 0;
    }
  }

  @Command(name = "lease", description = "The lease the site holds on one object, if any.")
  static final class Lease implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Parameters(index = "0", paramLabel = "BUCKET")
    String bucket = "";

    @Parameters(index = "1", paramLabel = "KEY")
    String key = "";

    @Override
    public Integer call() {
      admin.print(admin.call("GET", "lease?bucket=" + q(bucket) + "&key=" + q(key)));
      return 0;
    }
  }

  @Command(name = "warm", description = "Loads every object under a prefix into the site's cache.")
  static final class Warm implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Parameters(index = "0", paramLabel = "BUCKET")
    String bucket = "";

    @Parameters(index = "1", paramLabel = "PREFIX", defaultValue = "")
    String prefix = "";

    @Override
    public Integer call() throws InterruptedException {
      JsonNode job = admin.call("POST", "warm?bucket=" + q(bucket) + "&prefix=" + q(prefix));
      String id = job.path("id").asText();
      PrintWriter out = admin.spec.commandLine().getOut();
      boolean terminal = System.console() != null;
      String last = "";
      while (true) {
        job = admin.call("GET", "jobs/" + id);
        String line = bar(job);
        if (!line.equals(last)) {
          out.print(terminal ? "\r" + line : line + "\n");
          out.flush();
          last = line;
        }
        String state = job.path("state").asText();
        if (!state.equals("running")) {
          out.println(terminal ? "" : state);
          out.flush();
          if (state.equals("failed")) {
            throw new CommandLine.ExecutionException(
                admin.spec.commandLine(), "the warm-up failed: " + job.path("error").asText());
          }
          return 0;
        }
        Thread.sleep(250);
      }
    }

    /** {@code [##########----------] 50% 3/6 objects, 12.0/24.0 MiB}. */
    static String bar(JsonNode job) {
      long bytes = job.path("bytes").asLong();
      long done = job.path("bytesDone").asLong();
      long objects = job.path("objects").asLong();
      long objectsDone = job.path("objectsDone").asLong();
      double f =
          bytes > 0 ? (double) done / bytes : objects > 0 ? (double) objectsDone / objects : 1;
      if (job.path("state").asText().equals("running") && objects == 0) {
        f = 0;
      }
      int filled = (int) Math.round(f * 20);
      return String.format(
          Locale.ROOT,
          "[%s%s] %3d%% %d/%d objects, %.1f/%.1f MiB",
          "#".repeat(filled),
          "-".repeat(20 - filled),
          Math.round(f * 100),
          objectsDone,
          objects,
          done / 1048576.0,
          bytes / 1048576.0);
    }
  }

  /**
   * A call about a bucket's prefix: {@code BUCKET [PREFIX]}, the answer printed. One class for the
   * six such commands ({@link #PREFIX_CALLS}), each added by {@link #addPrefixCommands}.
   */
  @Command
  static final class OnPrefix implements Callable<Integer> {
    @CommandLine.ParentCommand AdminCommand admin;

    @Parameters(index = "0", paramLabel = "BUCKET")
    String bucket = "";

    @Parameters(index = "1", paramLabel = "PREFIX", defaultValue = "")
    String prefix = "";

    private final PrefixCall call;

    OnPrefix(PrefixCall call) {
      this.call = call;
    }

    @Override
    public Integer call() {
      admin.print(
          admin.call(call.method(), call.path() + "?bucket=" + q(bucket) + "&prefix=" + q(prefix)));
      return 0;
    }
  }

  /** A command about a prefix: its name, the admin API's method and path, what it does. */
  record PrefixCall(String name, String method, String path, String description) {}

  static final List<PrefixCall> PREFIX_CALLS =
      List.of(
          new PrefixCall(
              "leases",
              "GET",
              "leases",
              "The coordinator's lease table under a prefix: versions and holding sites."),
          new PrefixCall("evict", "POST", "evict", "Drops the site's cached chunks of a prefix."),
          new PrefixCall(
              "pin", "POST", "pin", "Keeps the site's cached chunks of a prefix from eviction."),
          new PrefixCall(
              "unpin", "POST", "unpin", "Lets the site's cached chunks of a prefix be evicted."),
          new PrefixCall(
              "prefix-lease",
              "POST",
              "prefix-lease",
              "Takes WRITE on a whole prefix of a write-back bucket for this site: keys under it are"
                  + " written with no coordinator round trip until another site asks for one."),
          new PrefixCall(
              "prefix-release",
              "POST",
              "prefix-release",
              "Flushes what the site wrote under its prefix lease, then gives the lease back."));

  /** Adds the commands about a prefix to {@code admin} (the {@code admin} command line). */
  static void addPrefixCommands(CommandLine admin) {
    for (PrefixCall c : PREFIX_CALLS) {
      CommandLine sub = new CommandLine(new OnPrefix(c));
      sub.getCommandSpec().usageMessage().description(c.description());
      admin.addSubcommand(c.name(), sub);
    }
  }
}
