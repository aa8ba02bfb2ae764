package dev.leasehold.cli;

import dev.leasehold.coordinator.CoordinatorPeer;
import dev.leasehold.coordinator.CoordinatorSettings;
import dev.leasehold.telemetry.Tracing;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code leasehold coordinator}: runs one peer of a coordinator group until stopped. The shape of
 * this command line is a contract that operators and scripts rely on.
 */
@Command(
    name = "coordinator",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one peer of a coordinator group (Apache Ratis). Sites name any peers' client",
      "addresses with `serve --coordinator`; a follower redirects them to the leader."
    })
final class CoordinatorCommand implements Callable<Integer> {
  /** The exit code when the peer's Raft server stopped on its own (sysexits' EX_SOFTWARE). */
  static final int EXIT_RAFT_STOPPED = 70;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--id",
      paramLabel = "ID",
      description = "This peer's id, as in --peers. Required (here or in --config).")
  String id = "";

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Where this peer keeps its Raft log and snapshots. Required.")
  @Nullable Path dataDir;

  @Option(
      names = "--port",
      paramLabel = "CLIENT_PORT",
      description = "The port sites call (gRPC). Required.")
  int port = -1;

  @Option(
      names = "--raft-port",
      paramLabel = "RAFT_PORT",
      description = "The port peers replicate on. Default: this peer's port in --peers.")
  @Nullable Integer raftPort;

  @Option(
      names = "--peers",
      paramLabel = "ID=HOST:RAFT_PORT,...",
      description = "Every peer of the group, this one included. Required.")
  String peers = "";

  @Option(
      names = "--bind",
      paramLabel = "ADDRESS",
      description = "The address both ports listen on. Default: this peer's host in --peers.")
  @Nullable String bind;

  @Option(
      names = "--join",
      description =
          "This peer joins a running group (then `leasehold admin coordinator add-peer`): started"
              + " with an empty --data-dir, it takes the group's table from the leader. --peers"
              + " names the group with this peer in it.")
  boolean join;

  @Option(
      names = "--snapshot-every",
      paramLabel = "ENTRIES",
      description =
          "Snapshot the lease table every ENTRIES entries of the Raft log. Default: 10000. Any"
              + " other value also drops the log behind each snapshot: a peer further behind gets"
              + " the snapshot.")
  long snapshotEvery = CoordinatorPeer.SNAPSHOT_EVERY;

  @CommandLine.Mixin SessionOptions session = new SessionOptions();

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "YAML mapping of these options by their long names (id: c1, peers: [...], join: true);"
              + " an option also on the command line takes the command line's value.")
  @Nullable Path configFile;

  @Option(
      names = "--certs-dir",
      paramLabel = "DIR",
      description =
          "Directory of the namespace's certificates (leasehold certs): the peer presents ID.crt"
              + " and both ports accept only certificates of ca.crt (mutual TLS). Default: plain"
              + " ports, for a group on loopback.")
  @Nullable Path certsDir;

  @Option(
      names = "--insecure",
      description =
          "Listen on a non-loopback address without certificates: the client and Raft ports"
              + " plain and unauthenticated (logged as a warning at start and every hour).")
  boolean insecure;

  @Option(
      names = "--otlp-endpoint",
      paramLabel = "URL",
      description = "OTLP/HTTP collector to send traces to (http://host:4318). Default: none.")
  String otlpEndpoint = "";

  @Override
  public Integer call() throws InterruptedException {
    if (configFile != null) {
      return withConfig(configFile);
    }
    for (Map.Entry<String, Boolean> required :
        Map.of(
                "id",
                !id.isEmpty(),
                "data-dir",
                dataDir != null,
                "port",
                port >= 0,
                "peers",
                !peers.isEmpty())
            .entrySet()) {
      if (!required.getValue()) {
        throw new ConfigException(
            required.getKey(),
            "is required (--" + required.getKey() + " or " + required.getKey() + ": in --config)");
      }
    }
    if (snapshotEvery < 10) {
      throw new ConfigException("snapshot-every", snapshotEvery + " is below 10 entries");
    }
    Path dataDir = java.util.Objects.requireNonNull(this.dataDir);
    Map<String, String> group = parsePeers(peers);
    String own = group.get(id);
    if (own == null) {
      throw new ConfigException("id", "'" + id + "' is not among --peers " + group.keySet());
    }
    int ownRaftPort = Values.port("peers", own.substring(own.lastIndexOf(':') + 1));
    if (raftPort != null && raftPort != ownRaftPort) {
      throw new ConfigException(
          "raft-port", raftPort + " is not this peer's port in --peers (" + own + ")");
    }
    CoordinatorSettings settings =
        new CoordinatorSettings(
            id,
            dataDir.toAbsolutePath().normalize(),
            bind != null ? bind : CoordinatorPeer.hostOf(own),
            Values.port("port", Integer.toString(port)),
            ownRaftPort,
            group,
            session.ttl(),
            session.drift(),
            true);
    if (join) {
      settings = settings.asJoining();
    }
    Exposure.check("coordinator", Map.of("bind", settings.bind()), certsDir != null, insecure);
    if (certsDir != null) {
      try {
        settings = settings.withCertificates(NodeCertificates.load(certsDir, id));
      } catch (IOException e) {
        throw new ConfigException("certs-dir", String.valueOf(e.getMessage()));
      }
    }
    DataDirectory.restrict(settings.dataDir());
    CoordinatorPeer peer = CoordinatorPeer.start(settings, snapshotEvery);
    // A peer whose Raft server stopped under it must not linger as a process that looks alive:
    // exit, so the supervisor restarts it (from another thread: exit waits for the shutdown hook,
    // which waits for the Ratis thread that reports the failure).
    peer.onFailure(
        () -> Thread.ofPlatform().name("exit").start(() -> System.exit(EXIT_RAFT_STOPPED)));
    Tracing tracing = Tracing.of(otlpEndpoint, id);
    peer.bindTracing(tracing.openTelemetry());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  peer.close();
                  tracing.close();
                  stopped.countDown();
                },
                "shutdown"));
    var out = spec.commandLine().getOut();
    out.println("Leasehold coordinator peer " + id + " is running.");
    out.println("  client address  " + peer.clientAddress());
    out.println("  raft address    " + own);
    out.println("  group           " + group);
    out.println("  data            " + dataDir.toAbsolutePath().normalize());
    out.println("Stop with Ctrl-C.");
    out.flush();
    stopped.await();
    return 0;
  }

  /**
   * Runs the command again with the settings of {@code file} as options ahead of the command
   * line's, which win where both name one (picocli's overwritten options).
   */
  private int withConfig(Path file) {
    List<String> args = new ArrayList<>(ConfigFiles.asOptions(file, spec));
    List<String> given = spec.commandLine().getParseResult().originalArgs();
    // Under `leasehold`, the arguments start with the command's own name.
    int start = spec.parent() == null ? 0 : given.indexOf(spec.name()) + 1;
    for (int i = start; i < given.size(); i++) {
      String a = given.get(i);
      if (a.equals("--config")) {
        i++; // and its value
      } else if (!a.startsWith("--config=")) {
        args.add(a);
      }
    }
    CommandLine again = Main.withHandlers(new CommandLine(new CoordinatorCommand()));
    again.setOverwrittenOptionsAllowed(true);
    again.setOut(spec.commandLine().getOut());
    again.setErr(spec.commandLine().getErr());
    return again.execute(args.toArray(String[]::new));
  }

  /** {@code c1=host:9091,c2=host:9191} as a map, in order. */
  static Map<String, String> parsePeers(String peers) {
    Map<String, String> group = new LinkedHashMap<>();
    for (String entry : peers.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      int colon = entry.lastIndexOf(':');
      if (eq <= 0 || colon <= eq + 1) {
        throw new ConfigException("peers", "'" + entry + "' is not ID=HOST:RAFT_PORT");
      }
      Values.port("peers", entry.substring(colon + 1).trim());
      group.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
    }
    if (group.isEmpty()) {
      throw new ConfigException("peers", "names no peer");
    }
    return group;
  }
}
