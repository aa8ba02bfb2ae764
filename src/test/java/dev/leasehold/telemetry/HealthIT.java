package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.RegisterRequest;
import dev.leasehold.protocol.SiteRequest;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.RecordingOrigin;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code /health/ready} follows what a site depends on: it turns not ready, with the reason, within
 * one renewal interval (ttl/3) of a coordinator outage, says so again when the session is lost, and
 * turns ready again when the coordinator is back.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HealthIT {
  static final Duration TTL = Duration.ofSeconds(3);
  static final Duration RENEW = TTL.dividedBy(3);

  /**
   * The longest a change may take to show: it shows within one renewal interval; the bound allows
   * two, and a margin, for a busy machine whose renewals and probes run late.
   */
  static final Duration SHOWS_WITHIN = RENEW.multipliedBy(2).plusMillis(500);

  record Answer(int status, String body) {}

  /** One client for all of a test's probes (a client per probe costs threads each time). */
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void closeClient() {
    http.close();
  }

  @Test
  void aCoordinatorOutageShowsWithinOneRenewalIntervalAndALostSessionToo() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).coordinators(1).ttl(TTL).start()) {
      URI ready = cluster.site(0).adminEndpoint().resolve("/health/ready");
      assertThat(get(ready)).isEqualTo(new Answer(200, "{\"status\":\"ready\"}"));

      cluster.link(0).cut(true); // the coordinator no longer answers this site
      long cut = System.nanoTime();
      Answer outage = await(ready, a -> a.status() == 503, TTL.multipliedBy(2));
      long noticed = System.nanoTime() - cut;
      // The first answer that is not ready names the outage, before the session is lost.
      assertThat(outage.body()).contains("not ready").contains("coordinator did not answer");
      assertThat(Duration.ofNanos(noticed)).isLessThanOrEqualTo(SHOWS_WITHIN);
      // Past the local deadline the session is gone, and health says that instead.
      Answer lost = await(ready, a -> a.body().contains("no valid session"), TTL.multipliedBy(2));
      assertThat(lost.status()).isEqualTo(503);

      cluster.link(0).cut(false);
      assertThat(await(ready, a -> a.status() == 200, TTL.multipliedBy(3)).body())
          .isEqualTo("{\"status\":\"ready\"}");
    }
  }

  Answer await(URI uri, Predicate<Answer> until, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Answer last = get(uri);
    while (!until.test(last)) {
      assertThat(System.nanoTime() - deadline).as("still %s after %s", last, timeout).isNegative();
      Thread.sleep(20);
      last = get(uri);
    }
    return last;
  }

  Answer get(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  @Test
  void aLostSessionShowsWithinOneRenewalInterval() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).coordinators(1).ttl(TTL).start()) {
      URI ready = cluster.site(0).adminEndpoint().resolve("/health/ready");
      assertThat(get(ready).status()).isEqualTo(200);
      cluster.link(0).refuse("Register", true); // so that the site cannot come back at once

      // Another process registers under this site's name: the coordinator ends the site's session.
      // It does so just after the site's deadline moved on with a renewal: the deadline is then
      // most of a ttl away, past the bound, so a site that served on until it would fail the test.
      ManagedChannel channel =
          NettyChannelBuilder.forTarget(cluster.coordinators().get(0).clientAddress())
              .usePlaintext()
              .build();
      try {
        channel.getState(true); // connected beforehand: the registration follows the renewal
        var leases = cluster.site(0).leases();
        long deadline = System.nanoTime() + leases.remainingNanos();
        long giveUp = System.nanoTime() + TTL.multipliedBy(3).toNanos();
        while (System.nanoTime() + leases.remainingNanos() - deadline
            < TimeUnit.MILLISECONDS.toNanos(100)) {
          assertThat(System.nanoTime() - giveUp).as("the site renews its session").isNegative();
          Thread.sleep(5);
        }
        CoordinatorGrpc.newBlockingStub(channel)
            .call(
                SiteRequest.newBuilder()
                    .setRegister(
                        RegisterRequest.newBuilder().setSite(cluster.site(0).config().site()))
                    .build());
      } finally {
        channel.shutdownNow();
      }
      long lost = System.nanoTime();
      Answer answer = await(ready, a -> a.status() == 503, TTL.multipliedBy(2));
      assertThat(Duration.ofNanos(System.nanoTime() - lost)).isLessThanOrEqualTo(SHOWS_WITHIN);
      assertThat(answer.body()).contains("no valid session");

      cluster.link(0).refuse("Register", false);
      assertThat(await(ready, a -> a.status() == 200, TTL.multipliedBy(3)).status()).isEqualTo(200);
    }
  }

  @Test
  void probesAskTheOriginAtMostOnceASecond() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).start()) {
      URI ready = cluster.site(0).adminEndpoint().resolve("/health/ready");
      RecordingOrigin origin = cluster.origin(0);
      long before = origin.count(RecordingOrigin.Call.OTHER); // ListBuckets counts as OTHER
      long started = System.nanoTime();
      for (int i = 0; i < 20; i++) {
        assertThat(get(ready).status()).isEqualTo(200);
      }
      long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
      assertThat(origin.count(RecordingOrigin.Call.OTHER) - before).isBetween(1L, seconds + 2);
    }
  }
}
