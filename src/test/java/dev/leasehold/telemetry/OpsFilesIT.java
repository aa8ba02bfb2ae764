package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.Scrape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The shipped ops files (deploy/) name only metrics a running site serves: every metric in every
 * alert rule and every dashboard query is in a scrape of {@code /metrics}.
 */
class OpsFilesIT {
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:leasehold|jvm|netty|process|system)_[a-z0-9_]+)\\b");

  @Test
  void everyMetricTheOpsFilesNameExists() throws Exception {
    Set<String> named = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("deploy/prometheus/alerts.yml"))) {
      if (line.trim().startsWith("expr:") || line.startsWith("          ")) {
        named.addAll(metrics(line));
      }
    }
    JsonNode dashboard =
        new ObjectMapper().readTree(Path.of("deploy/grafana/leasehold.json").toFile());
    for (JsonNode panel : dashboard.get("panels")) {
      for (JsonNode target : panel.get("targets")) {
        named.addAll(metrics(target.get("expr").asText()));
      }
    }
    assertThat(named).hasSizeGreaterThan(15);

    try (LocalCluster cluster = LocalCluster.builder().sites(1).start();
        S3Client s3 = cluster.client(0)) {
      Data.bucket(s3); // a request, so that the request meters exist
      // A request's meters are registered just after its response is sent: wait for them.
      long deadline = System.nanoTime() + 5_000_000_000L;
      Scrape scrape = Scrape.of(cluster.site(0).adminEndpoint());
      while (!scrape.names().containsAll(named) && System.nanoTime() - deadline < 0) {
        Thread.sleep(20);
        scrape = Scrape.of(cluster.site(0).adminEndpoint());
      }
      Scrape last = scrape;
      assertThat(named).allSatisfy(name -> assertThat(last.names()).contains(name));
    }
  }

  private static Set<String> metrics(String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }
}
