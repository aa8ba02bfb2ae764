package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.DeclareLost;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.Recall;
import dev.leasehold.protocol.RecallsRequest;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.RenewRequest;
import dev.leasehold.protocol.SetBucketMode;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.protocol.StatusRequest;
import dev.leasehold.tls.CertificateAuthority;
import dev.leasehold.tls.NodeCertificates;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator group of three peers with mutual TLS on every port, over real sockets: who may
 * connect, and who may ask what (docs/security.md). Callers are raw gRPC stubs with certificates of
 * the namespace's authority, of another authority, or none.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CoordinatorTlsIT {
  @TempDir static Path certs;
  @TempDir static Path foreign;
  @TempDir static Path data;

  static PeerGroup group;
  static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    CertificateAuthority.createCa(certs);
    for (String peer : List.of("c1", "c2", "c3")) {
      CertificateAuthority.createNode(certs, peer, List.of("127.0.0.1"));
    }
    CertificateAuthority.createNode(certs, "site-a", List.of("127.0.0.1"));
    CertificateAuthority.createNode(certs, "site-b", List.of("127.0.0.1"));
    CertificateAuthority.createClient(certs, "root", true);
    CertificateAuthority.createClient(certs, "alice", false);
    CertificateAuthority.createCa(foreign);
    CertificateAuthority.createNode(foreign, "site-a", List.of("127.0.0.1"));
    group = PeerGroup.start(data, 3, Duration.ofSeconds(10), p -> {}, certs);
    group.awaitLeader(Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (group != null) {
      group.close();
    }
  }

  @Test
  void aSiteRegistersOnlyUnderTheNameInItsCertificate() throws Exception {
    SiteReply own = call(as("site-a"), register("site-a"));
    assertThat(own.getOutcome()).isEqualTo(Outcome.OK);
    assertThat(own.getRegister().getSession()).isPositive();
    assertRefused(() -> call(as("site-b"), register("site-a")), "may not register as site site-a");
    assertRefused(() -> call(as("root"), register("site-a")), "may not register");
  }

  @Test
  void aSiteActsOnlyUnderItsOwnSession() throws Exception {
    long a = call(as("site-a"), register("site-a")).getRegister().getSession();
    SiteRequest renewA =
        SiteRequest.newBuilder().setRenew(RenewRequest.newBuilder().setSession(a)).build();
    assertThat(call(as("site-a"), renewA).getOutcome()).isEqualTo(Outcome.OK);
    assertRefused(() -> call(as("site-b"), renewA), "may not act under session " + a);
    // The recall stream of a's session is a's alone.
    Iterator<Recall> stream =
        CoordinatorGrpc.newBlockingStub(as("site-b"))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .recalls(RecallsRequest.newBuilder().setSession(a).build());
    assertRefused(() -> assertThat(stream.hasNext()).isFalse(), "session " + a);
  }

  @Test
  void onlyAnOperatorDeclaresASiteLostOrSetsAWriteMode() throws Exception {
    SiteRequest lost =
        SiteRequest.newBuilder()
            .setCommand(
                Command.newBuilder().setDeclareLost(DeclareLost.newBuilder().setSite("site-z")))
            .build();
    SiteRequest mode =
        SiteRequest.newBuilder()
            .setCommand(
                Command.newBuilder()
                    .setSetBucketMode(
                        SetBucketMode.newBuilder().setBucket("tls-bucket").setWriteBack(true)))
            .build();
    for (String notOperator : List.of("site-a", "alice")) {
      assertRefused(() -> call(as(notOperator), lost), "operators only");
      assertRefused(() -> call(as(notOperator), mode), "operators only");
    }
    assertThat(call(as("root"), lost).getOutcome()).isEqualTo(Outcome.OK);
    assertThat(call(as("root"), mode).getOutcome()).isEqualTo(Outcome.OK);
    assertThat(
            CoordinatorGrpc.newBlockingStub(as("alice"))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance())
                .getWriteBackBucketsList())
        .contains("tls-bucket");
  }

  @Test
  void theClientPortRefusesNoCertificateAndAnotherAuthoritysCertificate() throws Exception {
    SiteRequest status = register("site-a");
    for (ManagedChannel c :
        List.of(
            channel(InsecureChannelCredentials.create()),
            channel(
                TlsChannelCredentials.newBuilder()
                    .trustManager(NodeCertificates.load(certs, "site-a").trustManager())
                    .build()),
            channel(credentials(NodeCertificates.load(foreign, "site-a"))))) {
      assertThatThrownBy(() -> call(c, status))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
  }

  @Test
  void theRaftPortIsMutualTlsOfTheNamespace() throws Exception {
    int raft =
        Integer.parseInt(group.raftGroup().getPeers().iterator().next().getAddress().split(":")[1]);
    // A certificate of the namespace completes the handshake...
    assertThat(handshake(NodeCertificates.load(certs, "site-a").sslContext(), raft)).isTrue();
    // ...another authority's does not, and neither does none.
    assertThatThrownBy(() -> handshake(NodeCertificates.load(foreign, "site-a").sslContext(), raft))
        .isInstanceOf(SSLException.class);
    javax.net.ssl.SSLContext anonymous = javax.net.ssl.SSLContext.getInstance("TLS");
    anonymous.init(
        null,
        new javax.net.ssl.TrustManager[] {NodeCertificates.load(certs, "site-a").trustManager()},
        null);
    assertThatThrownBy(() -> handshake(anonymous, raft)).isInstanceOf(IOException.class);
  }

  /**
   * A TLS handshake with the port and one HTTP/2 preface: true if the server answered with a frame
   * (it accepted the client); an exception if it refused.
   */
  private static boolean handshake(javax.net.ssl.SSLContext context, int port) throws IOException {
    try (SSLSocket s =
        (SSLSocket)
            context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      javax.net.ssl.SSLParameters p = s.getSSLParameters();
      p.setApplicationProtocols(new String[] {"h2"});
      s.setSSLParameters(p);
      s.startHandshake();
      s.getOutputStream()
          .write(
              "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0"
                  .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      int b = s.getInputStream().read(); // TLS 1.3: a refused client certificate shows here
      if (b < 0) {
        throw new SSLException("the server closed the connection");
      }
      return true;
    }
  }

  private static SiteRequest register(String site) {
    return SiteRequest.newBuilder().setRegister(RegisterRequest.newBuilder().setSite(site)).build();
  }

  /** Calls the leader (following NOT_LEADER), as {@code channel}'s identity. */
  private static SiteReply call(ManagedChannel anyPeer, SiteRequest request) throws Exception {
    SiteReply reply =
        CoordinatorGrpc.newBlockingStub(anyPeer)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .call(request);
    if (reply.getOutcome() == Outcome.NOT_LEADER) {
      ManagedChannel leader = channel(channelCredentials(anyPeer), reply.getLeaderAddress());
      return CoordinatorGrpc.newBlockingStub(leader)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .call(request);
    }
    return reply;
  }

  private static void assertRefused(ThrowingRunnable call, String why) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).contains(why);
            });
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static final java.util.Map<ManagedChannel, ChannelCredentials> CREDENTIALS =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static ChannelCredentials channelCredentials(ManagedChannel c) {
    return CREDENTIALS.get(c);
  }

  /** A channel to the first peer, presenting {@code name}'s certificate of the namespace. */
  private static ManagedChannel as(String name) throws IOException {
    return channel(credentials(NodeCertificates.load(certs, name)));
  }

  private static ChannelCredentials credentials(NodeCertificates c) {
    return TlsChannelCredentials.newBuilder()
        .keyManager(c.keyManager())
        .trustManager(c.trustManager())
        .build();
  }

  private static ManagedChannel channel(ChannelCredentials credentials) {
    return channel(credentials, group.peer(0).clientAddress());
  }

  private static ManagedChannel channel(ChannelCredentials credentials, String address) {
    ManagedChannel c = NettyChannelBuilder.forTarget(address, credentials).build();
    channels.add(c);
    CREDENTIALS.put(c, credentials);
    return c;
  }
}
