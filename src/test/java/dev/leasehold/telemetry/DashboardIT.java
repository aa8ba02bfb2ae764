package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.leasehold.testkit.Browser;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The live dashboard in headless Chromium, against three sites under load: every site appears,
 * ready, with live figures (throughput, latency, hit ratio) that come from its own meters. A
 * screenshot is left at {@code target/dashboard.png}.
 */
class DashboardIT {
  static final String CARDS =
      """
      return [...document.querySelectorAll('.site')].map(el => ({
        site: el.dataset.site,
        live: el.dataset.live === 'true',
        badge: el.querySelector('.badge').textContent,
        rps: el.querySelector('[data-f="rps"]').textContent,
        latency: el.querySelector('[data-f="latency"]').textContent,
        hit: el.querySelector('[data-f="hit"]').textContent,
        chart: el.querySelector('.chart canvas') !== null
      }));
      """;

  @Test
  void everySiteAppearsWithLiveFigures() throws Exception {
    AtomicBoolean loading = new AtomicBoolean(true);
    List<Thread> load = new ArrayList<>();
    try (LocalCluster cluster = LocalCluster.builder().sites(3).start();
        Browser browser = Browser.start()) {
      String bucket;
      try (S3Client s3 = cluster.client(0)) {
        bucket = Data.bucket(s3);
        s3.putObject(p -> p.bucket(bucket).key("hot"), RequestBody.fromBytes(new byte[4096]));
      }
      long stopAt = System.nanoTime() + 60_000_000_000L;
      for (int i = 0; i < 3; i++) {
        S3Client s3 = cluster.client(i);
        load.add(
            Thread.ofVirtual()
                .start(() -> {
                  try (s3) {
                    while (loading.get() && System.nanoTime() - stopAt < 0) {
                      s3.getObjectAsBytes(g -> g.bucket(bucket).key("hot"));
                      Thread.sleep(20);
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
      }

      browser.open(cluster.site(0).adminEndpoint().resolve("/"));
      JsonNode cards = null;
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (System.nanoTime() - deadline < 0) {
        cards = browser.run(CARDS);
        if (cards.size() == 3 && allLive(cards)) {
          break;
        }
        Thread.sleep(250);
      }
      Thread.sleep(6_000); // a few more polls, so that the charts in the screenshot have lines
      browser.screenshot(Path.of("target", "dashboard.png"));
      assertThat(cards).isNotNull();
      assertThat(cards.size()).as("cards: %s", cards).isEqualTo(3);
      List<String> names = new ArrayList<>();
      for (JsonNode card : cards) {
        names.add(card.path("site").asText());
        assertThat(card.path("badge").asText()).as("%s", card).isEqualTo("ready");
        assertThat(card.path("live").asBoolean()).as("%s", card).isTrue();
        assertThat(card.path("rps").asText()).as("%s", card).matches("\\d+\\.\\d req/s");
        assertThat(Double.parseDouble(card.path("rps").asText().split(" ")[0]))
            .as("%s", card)
            .isPositive();
        assertThat(card.path("latency").asText()).as("%s", card).matches("\\d+\\.\\d\\d ms");
        assertThat(card.path("hit").asText()).as("%s", card).matches("\\d+\\.\\d %");
        assertThat(card.path("chart").asBoolean()).as("%s", card).isTrue();
      }
      assertThat(names)
          .containsExactlyElementsOf(
              List.of(
                  cluster.site(0).config().site(),
                  cluster.site(1).config().site(),
                  cluster.site(2).config().site()));
      assertThat(Files.size(Path.of("target", "dashboard.png"))).isPositive();
    } finally {
      loading.set(false);
      for (Thread t : load) {
        t.join(10_000);
      }
    }
  }

  private static boolean allLive(JsonNode cards) {
    for (JsonNode card : cards) {
      if (!card.path("live").asBoolean()
          || !card.path("badge").asText().equals("ready")
          || card.path("rps").asText().startsWith("0.0")
          || !card.path("hit").asText().endsWith("%")
          || card.path("hit").asText().startsWith("—")) {
        return false;
      }
    }
    return true;
  }
}
