package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.CoordinatorGrpc;
import dev.leasehold.protocol.RegisterRequest;
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
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * {@code /health/ready} follows what a site depends on: it turns not ready, with the reason, within
 * one renewal interval (ttl/3) of a coordinator outage, says so again when the session is lost, and
 * turns ready again when the coordinator is back.
 */
class HealthIT {
  static final Duration TTL = Duration.ofSeconds(3);
  static final Duration RENEW = TTL.dividedBy(3);

  record Answer(int status, String body) {}

  @Test
  void aCoordinatorOutageShowsWithinOneRenewalIntervalAndALostSessionToo() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).coordinators(1).ttl(TTL).start()) {
      URI ready = cluster.site(0).adminEndpoint().resolve("/health/ready");
      assertThat(get(ready)).isEqualTo(new Answer(200, "{\"status\":\"ready\"}"));

      cluster.link(0).cut(true); // the coordinator no longer answers this site
      long cut = System.nanoTime();
      Answer outage = await(ready, a -> a.status() == 503, RENEW.multipliedBy(3));
      long noticed = System.nanoTime() - cut;
      assertThat(outage.body()).contains("not ready").contains("coordinator did not answer");
      assertThat(Duration.ofNanos(noticed)).isLessThanOrEqualTo(RENEW.plusMillis(500));
      // Past the local deadline the session is gone, and health says that instead.
      Answer lost = await(ready, a -> a.body().contains("no valid session"), TTL.multipliedBy(2));
      assertThat(lost.status()).isEqualTo(503);

      cluster.link(0).cut(false);
      assertThat(await(ready, a -> a.status() == 200, TTL.multipliedBy(3)).body())
          .isEqualTo("{\"status\":\"ready\"}");
    }
  }

  static Answer await(URI uri, Predicate<Answer> until, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Answer last = get(uri);
    while (!until.test(last)) {
      assertThat(System.nanoTime() - deadline).as("still %s after %s", last, timeout).isNegative();
      Thread.sleep(20);
      last = get(uri);
    }
    return last;
  }

  static Answer get(URI uri) throws IOException, InterruptedException {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body());
    }
  }

  @Test
  void aLostSessionShowsWithinOneRenewalInterval() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(1).coordinators(1).ttl(TTL).start()) {
      URI ready = cluster.site(0).adminEndpoint().resolve("/health/ready");
      assertThat(get(ready).status()).isEqualTo(200);
      cluster.link(0).refuse("Register", true); // so that the site cannot come back at once

      // Another process registers under this site's name: the coordinator ends the site's session.
      ManagedChannel channel =
          NettyChannelBuilder.forTarget(cluster.coordinators().get(0).clientAddress())
              .usePlaintext()
              .build();
      try {
        CoordinatorGrpc.newBlockingStub(channel)
            .register(
                RegisterRequest.newBuilder().setSite(cluster.site(0).config().site()).build());
      } finally {
        channel.shutdownNow();
      }
      long lost = System.nanoTime();
      Answer answer = await(ready, a -> a.status() == 503, RENEW.multipliedBy(3));
      assertThat(Duration.ofNanos(System.nanoTime() - lost))
          .isLessThanOrEqualTo(RENEW.plusMillis(500));
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
