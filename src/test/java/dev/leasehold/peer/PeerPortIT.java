package dev.leasehold.peer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cli.Site;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The peer link on its own port (docs/protocol.md, Redirects and the peer link): two sites, one
 * coordinator, real sockets. A read at one site of an object the other owns goes to the owner's
 * peer port; the admin port no longer answers peers; the peer port answers only the namespace's
 * secret.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PeerPortIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void redirectsGoToThePeerPortWhichAnswersOnlyTheNamespacesSecret() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(2).start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      Site owner = cluster.site(0);
      assertThat(owner.peerEndpoint().getPort())
          .isNotEqualTo(owner.adminEndpoint().getPort())
          .isNotEqualTo(owner.s3Endpoint().getPort());
      String bucket = Data.bucket(a);
      owner.leases().admin().setWriteMode(bucket, true, "redirect");
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("unflushed"));
            return owner.leases().owned(bucket, "k") != null;
          });

      // Site 1 reads it through site 0, which keeps it (a redirect, not a recall).
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("unflushed");
      assertThat(owner.leases().owned(bucket, "k")).isNotNull();

      String secret = owner.leases().peerSecret();
      assertThat(secret).isNotEmpty();
      String read =
          Base64.getEncoder()
              .encodeToString(
                  ("{\"bucket\":\"" + bucket + "\",\"key\":\"k\",\"body\":true}")
                      .getBytes(StandardCharsets.UTF_8));
      // The admin port is for operators only: it has no peer calls any more.
      assertThat(post(owner.adminEndpoint(), "Bearer " + secret, read).statusCode()).isEqualTo(404);
      // The peer port refuses a caller without the secret, or with another.
      assertThat(post(owner.peerEndpoint(), null, read).statusCode()).isEqualTo(401);
      assertThat(post(owner.peerEndpoint(), "Bearer not-" + secret, read).statusCode())
          .isEqualTo(401);
      HttpResponse<String> answered = post(owner.peerEndpoint(), "Bearer " + secret, read);
      assertThat(answered.statusCode()).isEqualTo(200);
      assertThat(answered.body()).isEqualTo("unflushed");
      assertThat(answered.headers().firstValue(PeerClient.REPLY_HEADER)).isPresent();
      // A malformed request is refused, not answered.
      assertThat(post(owner.peerEndpoint(), "Bearer " + secret, "not base64!").statusCode())
          .isEqualTo(400);

      // What the owner holds unflushed, asked as another site asks for a LIST.
      List<Unflushed> held =
          new PeerClient(Duration.ofSeconds(10), () -> secret)
              .unflushed(owner.peerEndpoint().toString(), bucket, "");
      assertThat(held).extracting(Unflushed::key).contains("k");
    }
  }

  private static HttpResponse<String> post(URI endpoint, @Nullable String auth, String request)
      throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(endpoint.resolve("/peer/v1/read"))
            .timeout(Duration.ofSeconds(10))
            .header(PeerClient.REQUEST_HEADER, request)
            .POST(HttpRequest.BodyPublishers.noBody());
    if (auth != null) {
      r.header("Authorization", auth);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }
}
