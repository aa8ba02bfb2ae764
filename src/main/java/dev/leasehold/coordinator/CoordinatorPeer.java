package dev.leasehold.coordinator;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.ExpireSession;
import dev.leasehold.protocol.GroupPeer;
import dev.leasehold.protocol.PeerAddress;
import dev.leasehold.protocol.ReconfigureReply;
import dev.leasehold.protocol.ReconfigureRequest;
import dev.leasehold.protocol.SiteEntry;
import dev.leasehold.tls.NodeCertificates;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsServerCredentials;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One peer of the coordinator group: a Ratis server with the lease {@link CoordinatorStateMachine},
 * and the gRPC endpoint sites call ({@link CoordinatorService}). One peer alone is the embedded
 * coordinator of {@code leasehold serve}; three or five make a group that survives the loss of one
 * or two.
 *
 * <p>At the leader it also runs the duties that depend on time: expiring sessions that stopped
 * renewing, and refusing grants for {@code ttl·(1+drift)} after a standalone start with no state
 * (docs/protocol.md, Sessions 4).
 *
 * <p>Thread-safe: started once, closed once.
 */
public final class CoordinatorPeer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CoordinatorPeer.class);
  static final RaftGroupId GROUP =
      RaftGroupId.valueOf(
          UUID.nameUUIDFromBytes("leasehold-coordinator".getBytes(StandardCharsets.UTF_8)));

  private final CoordinatorSettings settings;
  private final LongSupplier nanoTime;
  private final RaftGroup group;
  private final SessionWatch watch;
  private final Changes changes = new Changes();
  private final RecallHub recalls = new RecallHub();
  private final CoordinatorStateMachine stateMachine;
  private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService ticks =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("coordinator-ticks").factory());
  private final long startNanos;
  private volatile long graceUntil;
  private volatile boolean leader;
  private volatile boolean closing;
  private volatile Runnable onFailure = () -> {};
  private @Nullable RaftServer raft;
  private @Nullable Parameters parameters;
  private @Nullable CoordinatorService service;
  private @Nullable Submitter submitter;
  private @Nullable Server grpc;
  private @Nullable ServerServiceDefinition services;
  private @Nullable Server inProcess; // guarded by this
  private final String inProcessName = "leasehold-coordinator-" + java.util.UUID.randomUUID();

  private CoordinatorPeer(CoordinatorSettings settings, LongSupplier nanoTime) {
    this.settings = settings;
    this.nanoTime = nanoTime;
    this.startNanos = nanoTime.getAsLong();
    List<RaftPeer> peers = new ArrayList<>();
    for (Map.Entry<String, String> p : settings.peers().entrySet()) {
      peers.add(RaftPeer.newBuilder().setId(p.getKey()).setAddress(p.getValue()).build());
    }
    this.group = RaftGroup.valueOf(GROUP, peers);
    this.watch = new SessionWatch(nanoTime, settings.expiry().toNanos());
    this.stateMachine =
        new CoordinatorStateMachine(
            new TableListener() {
              @Override
              public void applied(Command command, CommandResult result, long point) {
                watch.applied(command, result);
                changes.moved(point);
              }

              @Override
              public void restored(long point) {
                changes.moved(point);
              }
            },
            this::leaderChanged,
            this::raftClosed);
  }

  /** Starts a peer; returns once its client port is open (the group may still be electing). */
  public static CoordinatorPeer start(CoordinatorSettings settings) {
    return start(settings, System::nanoTime);
  }

  /**
   * Starts a peer that snapshots its table every {@code entries} entries of the log and then drops
   * the log behind the snapshot, in segments of a size to match: a follower or a new peer that is
   * further behind gets the snapshot (Raft's InstallSnapshot). The default is {@value
   * #SNAPSHOT_EVERY}, with Ratis's own segments and purging.
   */
  public static CoordinatorPeer start(CoordinatorSettings settings, long entries) {
    if (entries == SNAPSHOT_EVERY) {
      return start(settings);
    }
    return start(
        settings,
        System::nanoTime,
        props -> {
          RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, entries);
          RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
          RaftServerConfigKeys.Log.setPurgeGap(props, 1);
          RaftServerConfigKeys.Log.setSegmentSizeMax(
              props, org.apache.ratis.util.SizeInBytes.valueOf(Math.max(64 * 1024, entries * 256)));
        });
  }

  /** How many log entries apart the table is snapshot by default. */
  public static final long SNAPSHOT_EVERY = 10_000;

  static CoordinatorPeer start(CoordinatorSettings settings, LongSupplier nanoTime) {
    return start(settings, nanoTime, props -> {});
  }

  /**
   * Starts a peer whose Raft properties {@code tuning} may change after Leasehold set its own:
   * tests use it to make Ratis snapshot and purge its log within seconds, where the defaults take
   * ten thousand entries.
   */
  static CoordinatorPeer start(
      CoordinatorSettings settings, LongSupplier nanoTime, Consumer<RaftProperties> tuning) {
    CoordinatorPeer peer = new CoordinatorPeer(settings, nanoTime);
    try {
      peer.startServers(tuning);
      return peer;
    } catch (IOException | RuntimeException e) {
      peer.close();
      throw e instanceof IOException io
          ? new UncheckedIOException("cannot start coordinator peer " + settings.id(), io)
          : (RuntimeException) e;
    }
  }

  /** The Raft server properties of every peer: storage, the peer port, timing, and workarounds. */
  static RaftProperties raftProperties(java.nio.file.Path dataDir, String bind, int raftPort) {
    RaftProperties props = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(props, List.of(dataDir.toFile()));
    GrpcConfigKeys.Server.setHost(props, bind);
    GrpcConfigKeys.Server.setPort(props, raftPort);
    // Elections within a second on a loaded two-core machine, without spurious ones.
    RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(400, TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(800, TimeUnit.MILLISECONDS));
    // Ratis 3.3.0's "composed" follower append (raft.server.log.append-entries.compose.enabled, on
    // by default) answers a request whose first index is already being appended with the earlier
    // request's future: when the leader resends from that index with more entries (after an
    // INCONSISTENCY reply, while earlier requests are in flight), the follower acknowledges entries
    // it never wrote. The leader's matchIndex then passes the follower's log, and the leader pins
    // nextIndex at matchIndex + 1 while the follower asks for less, forever (docs/design.md, The
    // coordinator group). Off, each request goes through the log's own append, which skips the
    // entries it has and writes the rest. Drop this once a Ratis release appends every entry of a
    // request whose start overlaps one in flight (not so up to 3.3.0 and master of 2026-07).
    RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(props, false);
    // After errors the leader waits before it sends to a follower again, by this policy, and after
    // a wait longer than half the election timeout it sends a heartbeat rather than entries.
    // Ratis's default ("1ms,10, 1s,20, 5s,1000") waits 1 s after 10 errors and 5 s after 30: a
    // follower that was down for the two seconds of a restart has that many connection errors, so
    // it caught up in steps of seconds, and another restart in the meantime left the group without
    // a majority. Retry every 50 ms instead (the error count restarts at the first success).
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(props, "1ms,10, 50ms,1000000000");
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, SNAPSHOT_EVERY);
    return props;
  }

  /**
   * The Raft client a peer submits commands with: 3 s per attempt, up to 60 attempts 100 ms apart
   * (an election takes about a second), each command on its own ({@link Submitter}).
   */
  static RaftClient raftClient(RaftGroup group) {
    return raftClient(group, new Parameters());
  }

  /**
   * Ratis's parameters for a peer: with certificates, its server, its Raft client and the admin
   * service all speak mutual TLS that trusts only the namespace's authority.
   */
  static Parameters raftParameters(@Nullable NodeCertificates certificates) {
    Parameters parameters = new Parameters();
    if (certificates != null) {
      GrpcTlsConfig tls =
          new GrpcTlsConfig(certificates.keyManager(), certificates.trustManager(), true);
      GrpcConfigKeys.TLS.setConf(parameters, tls);
      GrpcConfigKeys.Server.setTlsConf(parameters, tls);
      GrpcConfigKeys.Client.setTlsConf(parameters, tls);
      GrpcConfigKeys.Admin.setTlsConf(parameters, tls);
    }
    return parameters;
  }

  /** {@link #raftClient(RaftGroup)} with Ratis {@code parameters} (its TLS). */
  static RaftClient raftClient(RaftGroup group, Parameters parameters) {
    return raftClient(group, parameters, Duration.ofSeconds(3));
  }

  /** A Raft client whose each attempt may take {@code attempt}, 60 attempts 100 ms apart. */
  static RaftClient raftClient(RaftGroup group, Parameters parameters, Duration attempt) {
    return raftClient(group, parameters, attempt, 60);
  }

  /** A Raft client that makes up to {@code attempts} attempts of up to {@code attempt} each. */
  static RaftClient raftClient(
      RaftGroup group, Parameters parameters, Duration attempt, int attempts) {
    RaftProperties clientProps = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(
        clientProps, TimeDuration.valueOf(attempt.toMillis(), TimeUnit.MILLISECONDS));
    return RaftClient.newBuilder()
        .setProperties(clientProps)
        .setRaftGroup(group)
        .setClientId(ClientId.randomId())
        .setClientRpc(
            new GrpcFactory(parameters).newRaftClientRpc(ClientId.randomId(), clientProps))
        .setRetryPolicy(
            RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                attempts, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
        .build();
  }

  private void startServers(Consumer<RaftProperties> tuning) throws IOException {
    Files.createDirectories(settings.dataDir());
    RaftProperties props = raftProperties(settings.dataDir(), settings.bind(), settings.raftPort());
    tuning.accept(props);
    boolean fresh = isEmpty(settings.dataDir());
    Parameters parameters = raftParameters(settings.certificates());
    this.parameters = parameters;
    raft =
        RaftServer.newBuilder()
            .setParameters(parameters)
            .setServerId(RaftPeerId.valueOf(settings.id()))
            // A peer that joins starts in no configuration: it does not campaign (the group's
            // peers would tell a candidate they do not know to shut down) and waits for the
            // leader, which sends it the configuration with its log or snapshot.
            .setGroup(settings.joining() && fresh ? RaftGroup.valueOf(GROUP) : group)
            .setProperties(props)
            .setStateMachine(stateMachine)
            .setOption(fresh ? RaftStorage.StartupOption.FORMAT : RaftStorage.StartupOption.RECOVER)
            .build();
    raft.start();
    if (settings.standalone() && fresh && !settings.joining()) {
      graceUntil = startNanos + settings.expiry().toNanos();
    }

    Submitter s = new Submitter(raftClient(group, parameters), raft, GROUP);
    submitter = s;

    CoordinatorService svc =
        new CoordinatorService(new PeerView(), s, recalls, changes, settings, nanoTime);
    service = svc;
    ServerServiceDefinition definition =
        ServerInterceptors.intercept(
            svc, new TraceContextServerInterceptor(), new CallerInterceptor());
    services = definition;
    NodeCertificates certificates = settings.certificates();
    grpc =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(settings.bind(), settings.clientPort()),
                certificates == null
                    ? InsecureServerCredentials.create()
                    : TlsServerCredentials.newBuilder()
                        .keyManager(certificates.keyManager())
                        .trustManager(certificates.trustManager())
                        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                        .build())
            .addService(definition)
            .executor(calls)
            .build()
            .start();
    LOG.info(
        "coordinator peer {} up: client {}, raft {}, group {}",
        settings.id(),
        clientAddress(),
        settings.peers().get(settings.id()),
        settings.peers().keySet());
    ticks.scheduleWithFixedDelay(this::tick, 100, 100, TimeUnit.MILLISECONDS);
    calls.execute(this::announceAddress);
  }

  /**
   * One change of the group, asked by an operator (docs/design.md, Changing the coordinator group):
   * a peer added (it catches up from the leader's log or snapshot before the configuration that
   * names it commits) or removed, with Ratis's configuration change; or the leadership moved to a
   * peer. Any peer takes it: its Raft client finds the leader. Returns the group after the change.
   *
   * @throws IllegalArgumentException if the change names no peer it could make sense of
   * @throws IOException if the group did not make the change
   */
  public ReconfigureReply reconfigure(ReconfigureRequest request) throws IOException {
    RaftServer r = raft;
    Parameters p = parameters;
    if (r == null || p == null) {
      throw new IOException("coordinator peer " + settings.id() + " is not started");
    }
    List<RaftPeer> current = new ArrayList<>(r.getDivision(GROUP).getRaftConf().getCurrentPeers());
    try (RaftClient client =
        raftClient(RaftGroup.valueOf(GROUP, current), p, RECONFIGURE_WAIT, 3)) {
      switch (request.getChangeCase()) {
        case ADD_PEER -> {
          GroupPeer add = request.getAddPeer();
          requireId(add.getId());
          if (add.getAddress().isBlank() || !add.getAddress().contains(":")) {
            throw new IllegalArgumentException(
                "'" + add.getAddress() + "' is not the new peer's Raft address, HOST:PORT");
          }
          for (RaftPeer c : current) {
            if (c.getId().toString().equals(add.getId())) {
              if (c.getAddress().equals(add.getAddress())) {
                return group(r); // asked again: already done
              }
              throw new IllegalArgumentException(
                  "peer " + add.getId() + " is in the group already, at " + c.getAddress());
            }
          }
          // Added to the leader's configuration as it is then (this peer's view may be behind).
          RaftPeer peer =
              RaftPeer.newBuilder().setId(add.getId()).setAddress(add.getAddress()).build();
          check(
              client
                  .admin()
                  .setConfiguration(
                      SetConfigurationRequest.Arguments.newBuilder()
                          .setServersInNewConf(List.of(peer))
                          .setMode(SetConfigurationRequest.Mode.ADD)
                          .build()),
              "adding peer " + add.getId());
          LOG.info("peer {} at {} joined the group", add.getId(), add.getAddress());
        }
        case REMOVE_PEER -> {
          String id = request.getRemovePeer();
          requireId(id);
          List<RaftPeer> next = new ArrayList<>(current);
          if (!next.removeIf(c -> c.getId().toString().equals(id))) {
            return group(r); // asked again: already done
          }
          if (next.isEmpty()) {
            throw new IllegalArgumentException("peer " + id + " is the group's last peer");
          }
          // Only if the leader's configuration is the one this peer sees: else the group changed
          // meanwhile, and the operator asks again.
          check(
              client
                  .admin()
                  .setConfiguration(
                      SetConfigurationRequest.Arguments.newBuilder()
                          .setServersInCurrentConf(current)
                          .setServersInNewConf(next)
                          .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                          .build()),
              "removing peer " + id);
          LOG.info("peer {} left the group", id);
        }
        case TRANSFER_LEADER -> {
          String id = request.getTransferLeader();
          requireId(id);
          if (current.stream().noneMatch(c -> c.getId().toString().equals(id))) {
            throw new IllegalArgumentException("peer " + id + " is not in the group");
          }
          check(
              client
                  .admin()
                  .transferLeadership(RaftPeerId.valueOf(id), RECONFIGURE_WAIT.toMillis()),
              "moving the leadership to " + id);
          LOG.info("leadership moved to peer {}", id);
        }
        case SHOW, CHANGE_NOT_SET -> {}
      }
    }
    return group(r);
  }

  /** How long a change of the group may take (a new peer catching up, an election). */
  private static final Duration RECONFIGURE_WAIT = Duration.ofSeconds(30);

  private static void requireId(String id) {
    if (id.isBlank() || !id.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("'" + id + "' is not a peer id");
    }
  }

  private static void check(org.apache.ratis.protocol.RaftClientReply reply, String what)
      throws IOException {
    if (!reply.isSuccess()) {
      throw new IOException(
          what + " failed: " + (reply.getException() == null ? "" : reply.getException()));
    }
  }

  /** The group as this peer's Raft server sees it now. */
  private static ReconfigureReply group(RaftServer r) throws IOException {
    var division = r.getDivision(GROUP);
    ReconfigureReply.Builder out = ReconfigureReply.newBuilder();
    for (RaftPeer c : division.getRaftConf().getCurrentPeers()) {
      out.addPeers(GroupPeer.newBuilder().setId(c.getId().toString()).setAddress(c.getAddress()));
    }
    RaftPeerId leader = division.getInfo().getLeaderId();
    return out.setLeaderId(leader == null ? "" : leader.toString()).build();
  }

  private static boolean isEmpty(java.nio.file.Path dir) throws IOException {
    try (var entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  /**
   * Opens this peer to callers in its own process, through no socket (the embedded coordinator, for
   * its own site: a call then costs no trip through the network stack and its event loops), and
   * returns the name to reach it by ({@code InProcessChannelBuilder.forName}). Plain, as the
   * loopback port of an embedded coordinator is: only code in this process can reach it. Once
   * opened, later calls return the same name; it closes with the peer.
   */
  public synchronized String openInProcess() throws IOException {
    ServerServiceDefinition definition = services;
    if (definition == null) {
      throw new IllegalStateException("coordinator peer " + settings.id() + " is not started");
    }
    if (inProcess == null) {
      inProcess =
          InProcessServerBuilder.forName(inProcessName)
              .addService(definition)
              .executor(calls)
              .build()
              .start();
    }
    return inProcessName;
  }

  /** The address sites call this peer at, as other peers tell sites where the leader is. */
  public String clientAddress() {
    Server s = grpc;
    int port = s == null ? settings.clientPort() : s.getPort();
    return hostOf(settings.peers().getOrDefault(settings.id(), settings.bind())) + ":" + port;
  }

  public String id() {
    return settings.id();
  }

  /** The host of {@code host:port} (or the whole string, if it has no port). */
  public static String hostOf(String address) {
    int colon = address.lastIndexOf(':');
    return colon < 0 ? address : address.substring(0, colon);
  }

  public boolean isLeader() {
    return leader;
  }

  /** Traces grants and recalls, as children of the sites' spans that asked for them. */
  public void bindTracing(OpenTelemetry telemetry) {
    CoordinatorService s = service;
    if (s != null) {
      s.bindTracing(telemetry);
    }
  }

  /**
   * Registers this peer's meters, labelled with its id: {@code leasehold_coordinator_leader} (1 on
   * the leader), {@code leasehold_raft_commit_index}, {@code leasehold_raft_applied_index}, {@code
   * leasehold_raft_apply_lag} (committed entries not yet applied) and {@code
   * leasehold_coordinator_sessions}.
   */
  public void bindMetrics(MeterRegistry registry) {
    Tags peer = Tags.of("peer", settings.id());
    CoordinatorService s = service;
    if (s != null) {
      s.bindMetrics(registry, peer);
    }
    Gauge.builder("leasehold.coordinator.leader", this, p -> p.isLeaderNow() ? 1 : 0)
        .description("1 if this coordinator peer is the leader of its group")
        .tags(peer)
        .register(registry);
    Gauge.builder("leasehold.raft.commit.index", this, CoordinatorPeer::commitIndex)
        .description("Index of the last committed entry of the Raft log")
        .tags(peer)
        .register(registry);
    Gauge.builder("leasehold.raft.applied.index", this, p -> p.appliedIndex())
        .description("Index of the last entry applied to the lease table")
        .tags(peer)
        .register(registry);
    Gauge.builder(
            "leasehold.raft.apply.lag", this, p -> Math.max(0, p.commitIndex() - p.appliedIndex()))
        .description("Committed Raft entries not yet applied to the lease table")
        .tags(peer)
        .register(registry);
    Gauge.builder("leasehold.coordinator.sessions", this, p -> p.stateMachine.sessions().size())
        .description("Site sessions in the lease table")
        .tags(peer)
        .register(registry);
  }

  /** This peer's Raft server; null before it started or after it stopped. */
  @Nullable RaftServer raftServer() {
    return raft;
  }

  /** The index of the last entry applied to the lease table. */
  long appliedIndex() {
    var t = stateMachine.getLastAppliedTermIndex();
    return t == null ? -1 : t.getIndex();
  }

  /** The index of the last entry this peer knows to be committed; -1 if its Raft server is gone. */
  long commitIndex() {
    RaftServer r = raft;
    if (r == null) {
      return -1;
    }
    try {
      return r.getDivision(GROUP).getRaftLog().getLastCommittedIndex();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The first index this peer's Raft log still holds (what came before is in a snapshot). */
  long logStartIndex() throws IOException {
    RaftServer r = raft;
    if (r == null) {
      throw new IOException("not started");
    }
    return r.getDivision(GROUP).getRaftLog().getStartIndex();
  }

  /** Whether this peer's Raft server is running (not stopped under it). */
  boolean raftAlive() {
    RaftServer r = raft;
    if (r == null) {
      return false;
    }
    try {
      return r.getDivision(GROUP).getInfo().isAlive();
    } catch (IOException e) {
      return false;
    }
  }

  /** Records this peer's client address in the table, so followers can name the leader's. */
  private void announceAddress() {
    Submitter s = submitter;
    for (int attempt = 0; s != null && attempt < 600 && !calls.isShutdown(); attempt++) {
      try {
        s.submit(
            Command.newBuilder()
                .setPeerAddress(
                    PeerAddress.newBuilder()
                        .setPeer(settings.id())
                        .setClientAddress(clientAddress()))
                .build());
        return;
      } catch (IOException e) {
        sleep(200);
      }
    }
  }

  /**
   * Runs {@code action} (once, on a Ratis thread) if this peer's Raft server stops while the peer
   * was not asked to close: the peer no longer takes part in the group, and a process that keeps
   * running without it only hides that from its supervisor.
   */
  public void onFailure(Runnable action) {
    this.onFailure = action;
  }

  private void raftClosed() {
    if (!closing) {
      LOG.error(
          "coordinator peer {}: its Raft server stopped on its own (the error is logged above);"
              + " this peer no longer takes part in the group",
          settings.id());
      onFailure.run();
    }
  }

  private void leaderChanged() {
    boolean now = isLeaderNow();
    if (now && !leader) {
      watch.takeOver(stateMachine.sessions());
      LOG.info("coordinator peer {} leads", settings.id());
    } else if (!now && leader) {
      recalls.closeAll("leadership moved");
    }
    leader = now;
  }

  private boolean isLeaderNow() {
    RaftServer r = raft;
    if (r == null) {
      return false;
    }
    try {
      return r.getDivision(GROUP).getInfo().isLeader();
    } catch (IOException e) {
      return false;
    }
  }

  /** Leader duties, every 100 ms: expire the sessions that stopped renewing. */
  private void tick() {
    try {
      boolean now = isLeaderNow();
      if (now != leader) {
        leaderChanged();
      }
      if (!now) {
        return;
      }
      Submitter s = submitter;
      for (Map.Entry<Long, Long> due : watch.due()) {
        calls.execute(() -> {
          try {
            if (s != null) {
              s.submit(
                  Command.newBuilder()
                      .setExpire(
                          ExpireSession.newBuilder()
                              .setSession(due.getKey())
                              .setRenewalsSeen(due.getValue()))
                      .build());
              LOG.info("session {} expired", due.getKey());
            }
          } catch (IOException e) {
            watch.retry(due.getKey());
          }
        });
      }
    } catch (RuntimeException e) {
      LOG.warn("coordinator tick failed", e);
    }
  }

  /** The peer as the service sees it. */
  private final class PeerView implements CoordinatorService.Peer {
    @Override
    public boolean isLeader() {
      return leader || isLeaderNow();
    }

    @Override
    public String leaderAddress() {
      RaftPeerId id = leaderPeer();
      if (id == null) {
        return "";
      }
      String address = stateMachine.peerAddresses().get(id.toString());
      return address == null ? "" : address;
    }

    @Override
    public String leaderId() {
      RaftPeerId id = leaderPeer();
      return id == null ? "" : id.toString();
    }

    @Override
    public boolean starting() {
      return graceUntil != 0 && nanoTime.getAsLong() - graceUntil < 0;
    }

    @Override
    public long appliedIndex() {
      return CoordinatorPeer.this.appliedIndex();
    }

    @Override
    public int sessions() {
      return stateMachine.sessions().size();
    }

    @Override
    public Map<String, SiteEntry> siteAddresses() {
      return stateMachine.siteAddresses();
    }

    @Override
    public String siteOf(long session) {
      return stateMachine.sessionSites().getOrDefault(session, "");
    }

    /** Of the peers in the group now: one removed from it is no longer listed. */
    @Override
    public Map<String, String> peerAddresses() {
      Map<String, String> all = stateMachine.peerAddresses();
      RaftServer r = raft;
      if (r == null) {
        return all;
      }
      try {
        java.util.Set<String> members = new java.util.HashSet<>();
        r.getDivision(GROUP)
            .getRaftConf()
            .getCurrentPeers()
            .forEach(p -> members.add(p.getId().toString()));
        Map<String, String> out = new java.util.TreeMap<>(all);
        out.keySet().retainAll(members);
        return out;
      } catch (IOException e) {
        return all;
      }
    }

    @Override
    public Map<String, String> bucketOrigins() {
      return stateMachine.bucketOrigins();
    }

    @Override
    public java.util.List<String> writeBackBuckets() {
      return stateMachine.writeBackBuckets();
    }

    @Override
    public Map<String, String> bucketPolicies() {
      return stateMachine.bucketPolicies();
    }

    @Override
    public long renewals(long session) {
      Long n = stateMachine.sessions().get(session);
      return n == null ? -1 : n;
    }

    @Override
    public ReconfigureReply reconfigure(ReconfigureRequest request) throws IOException {
      return CoordinatorPeer.this.reconfigure(request);
    }

    private @Nullable RaftPeerId leaderPeer() {
      RaftServer r = raft;
      if (r == null) {
        return null;
      }
      try {
        return r.getDivision(GROUP).getInfo().getLeaderId();
      } catch (IOException e) {
        return stateMachine.leader();
      }
    }
  }

  @Override
  public void close() {
    closing = true;
    ticks.shutdownNow();
    recalls.closeAll("coordinator peer stopping");
    Server g = grpc;
    if (g != null) {
      g.shutdownNow();
    }
    synchronized (this) {
      Server i = inProcess;
      if (i != null) {
        i.shutdownNow();
      }
    }
    calls.shutdownNow();
    try {
      Submitter s = submitter;
      if (s != null) {
        s.close();
      }
      RaftServer r = raft;
      if (r != null) {
        r.close();
      }
    } catch (IOException e) {
      LOG.warn("closing coordinator peer {}", settings.id(), e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
