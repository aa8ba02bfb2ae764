package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.LocalCluster;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code /api/sites} gathers every registered site's figures from its peer port: what a registered
 * address may be, and what of another site's answer is passed on. The "sites" of the first test are
 * small HTTP servers on loopback registered by hand at a real coordinator, as an attacker who can
 * reach it would; the second asks real sites over mutual TLS.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SitesApiIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A snapshot as a site answers it, named {@code site}, with one field no snapshot has. */
  private static String snapshot(String site) {
    return "{\"site\":\""
        + site
        + "\",\"time\":1,\"ready\":true,\"reason\":\"\",\"requests\":1,\"errors\":0,"
        + "\"requestSeconds\":0,\"timedRequests\":0,\"cacheHits\":0,\"cacheMisses\":0,"
        + "\"bytesFromCache\":0,\"bytesFromOrigin\":0,\"egressSavedBytes\":0,"
        + "\"egressSavedDollars\":0,\"leaseGrants\":0,\"recalls\":0,\"leasesHeld\":0,"
        + "\"sessionRemainingSeconds\":9,\"coordinatorReachable\":true,\"cacheSizeBytes\":0,"
        + "\"cacheBudgetBytes\":0,\"raftAppliedIndex\":0,\"coordinatorLeader\":false,"
        + "\"flushBacklogBytes\":0,\"injected\":\"<script>alert(1)</script>\"}";
  }

  /**
   * A server on loopback that answers {@code path} as a site's peer port answers {@code
   * /peer/v1/site} (it is not one: it is what an attacker would run), with {@code body}; counts its
   * calls.
   */
  private static HttpServer fakeSite(String path, String body, AtomicInteger calls)
      throws java.io.IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    server.createContext(
        path,
        ex -> {
          calls.incrementAndGet();
          ex.getResponseHeaders()
              .set(
                  "X-Leasehold-Reply",
                  Base64.getEncoder().encodeToString("{}".getBytes(StandardCharsets.UTF_8)));
          ex.sendResponseHeaders(200, bytes.length);
          ex.getResponseBody().write(bytes);
          ex.close();
        });
    server.start();
    return server;
  }

  @Test
  void onlyHostAndPortAddressesAndOnlyTheSnapshotsShapeArePassedOn() throws Exception {
    AtomicInteger internalCalls = new AtomicInteger();
    AtomicInteger fakeCalls = new AtomicInteger();
    HttpServer fake = fakeSite("/peer/v1/site", snapshot("fake"), fakeCalls);
    fake.createContext(
        "/internal",
        ex -> {
          internalCalls.incrementAndGet();
          ex.sendResponseHeaders(500, -1);
          ex.close();
        });
    HttpServer liar = fakeSite("/peer/v1/site", snapshot("someone-else"), new AtomicInteger());
    ManagedChannel channel = null;
    try (LocalCluster cluster = LocalCluster.builder().sites(1).start()) {
      channel =
          NettyChannelBuilder.forTarget(cluster.site(0).embeddedCoordinator().clientAddress())
              .usePlaintext()
              .build();
      var stub = CoordinatorGrpc.newBlockingStub(channel);
      String fakeAddress = "http://127.0.0.1:" + fake.getAddress().getPort();
      // An address with a path or a query is refused at registration.
      assertThatThrownBy(() ->
              stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                  .call(register("evil", fakeAddress + "/internal?x=")))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getStatus().getDescription()).contains("http(s)://host:port");
              });
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).call(register("fake", fakeAddress));
      stub.withDeadlineAfter(10, TimeUnit.SECONDS)
          .call(register("liar", "http://127.0.0.1:" + liar.getAddress().getPort()));

      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(cluster.site(0).adminEndpoint().resolve("/api/sites"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode sites = JSON.readTree(r.body());
      JsonNode fakeEntry = entry(sites, "fake");
      assertThat(fakeEntry.path("requests").asDouble()).isEqualTo(1.0);
      assertThat(fakeEntry.has("injected")).isFalse();
      // A site answering in another's name is listed as not reachable, its answer dropped.
      JsonNode liarEntry = entry(sites, "liar");
      assertThat(liarEntry.path("reachable").asBoolean(true)).isFalse();
      assertThat(r.body()).doesNotContain("someone-else").doesNotContain("injected");
      assertThat(entry(sites, "site-0").path("ready").asBoolean()).isTrue();
      assertThat(r.body()).doesNotContain("\"evil\"");
      assertThat(internalCalls.get()).isZero();
      assertThat(fakeCalls.get()).isPositive();
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      fake.stop(0);
      liar.stop(0);
    }
  }

  @Test
  void realSitesAnswerEachOtherOverMutualTlsAndTheAdminEndpointIsHttps() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(3).secure().start()) {
      URI admin = cluster.site(0).adminEndpoint();
      assertThat(admin.getScheme()).isEqualTo("https");
      // Served with the site's certificate: a client that does not trust the namespace's
      // authority is refused in the handshake.
      try (HttpClient untrusting = HttpClient.newHttpClient()) {
        assertThatThrownBy(() ->
                untrusting.send(
                    HttpRequest.newBuilder(admin.resolve("/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      }
      JsonNode sites =
          JSON.readTree(
              Clients.http()
                  .send(
                      HttpRequest.newBuilder(admin.resolve("/api/sites"))
                          .timeout(Duration.ofSeconds(10))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      for (int i = 0; i < 3; i++) {
        JsonNode s = entry(sites, "site-" + i);
        assertThat(s.path("reachable").asBoolean(true)).as(s.toString()).isTrue();
        assertThat(s.path("ready").asBoolean()).as(s.toString()).isTrue();
      }

      // The admin CLI reaches it with the namespace's CA, and not without.
      StringWriter out = new StringWriter();
      CommandLine cli = dev.leasehold.cli.Main.commandLine();
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(out));
      String token = cluster.site(0).adminToken();
      assertThat(
              cli.execute(
                  "admin",
                  "--url",
                  admin.toString(),
                  "--certs-dir",
                  cluster.certsDir().toString(),
                  "--token",
                  token,
                  "sites"))
          .as(out.toString())
          .isZero();
      assertThat(out.toString()).contains("site-2");
      StringWriter refused = new StringWriter();
      CommandLine untrustingCli = dev.leasehold.cli.Main.commandLine();
      untrustingCli.setOut(new PrintWriter(refused));
      untrustingCli.setErr(new PrintWriter(refused));
      assertThat(
              untrustingCli.execute("admin", "--url", admin.toString(), "--token", token, "sites"))
          .isEqualTo(1);
      assertThat(refused.toString()).contains("cannot reach");
    }
  }

  private static JsonNode entry(JsonNode sites, String name) {
    for (JsonNode s : sites) {
      if (name.equals(s.path("site").asText())) {
        return s;
      }
    }
    throw new AssertionError("no site " + name + " in " + sites);
  }

  private static SiteRequest register(String site, String address) {
    return SiteRequest.newBuilder()
        .setRegister(RegisterRequest.newBuilder().setSite(site).setPeerAddress(address))
        .build();
  }
}
