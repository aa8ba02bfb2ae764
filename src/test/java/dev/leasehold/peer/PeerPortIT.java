package dev.leasehold.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.cli.Site;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.tls.CertificateAuthority;
import dev.leasehold.tls.NodeCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
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
          PeerClient.withSecret(Duration.ofSeconds(10), () -> secret)
              .unflushed(owner.peerEndpoint().toString(), bucket, "");
      assertThat(held).extracting(Unflushed::key).contains("k");
    }
  }

  /**
   * With the namespace's certificates the peer port is HTTPS that requires a client certificate of
   * the namespace's authority, and answers only nodes; the redirected read goes over it, and no
   * peer secret is handed out.
   */
  @Test
  void overMutualTlsThePeerPortAnswersOnlyNodesOfTheNamespace() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().sites(2).secure().start();
        S3Client a = cluster.client(0);
        S3Client b = cluster.client(1)) {
      Site owner = cluster.site(0);
      assertThat(owner.leases().peerSecret()).isEmpty();
      String bucket = Data.bucket(a);
      owner.leases().admin().setWriteMode(bucket, true, "redirect");
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            a.putObject(p -> p.bucket(bucket).key("k"), RequestBody.fromString("unflushed"));
            return owner.leases().owned(bucket, "k") != null;
          });
      assertThat(b.getObjectAsBytes(g -> g.bucket(bucket).key("k")).asUtf8String())
          .isEqualTo("unflushed");
      assertThat(owner.leases().owned(bucket, "k")).isNotNull();

      URI peer = URI.create("https://127.0.0.1:" + owner.peerEndpoint().getPort());
      Path certs = cluster.certsDir();
      String read =
          Base64.getEncoder()
              .encodeToString(
                  ("{\"bucket\":\"" + bucket + "\",\"key\":\"k\",\"body\":true}")
                      .getBytes(StandardCharsets.UTF_8));
      // A node of the namespace is answered.
      HttpResponse<String> answered =
          post(https(NodeCertificates.load(certs, "site-1")), peer, read);
      assertThat(answered.statusCode()).isEqualTo(200);
      assertThat(answered.body()).isEqualTo("unflushed");
      // A person's certificate of the namespace is not a site: 403; nor is a node that holds no
      // session (a coordinator peer's certificate, or one made for a site never started).
      CertificateAuthority.createClient(certs, "alice", false);
      assertThat(post(https(NodeCertificates.load(certs, "alice")), peer, read).statusCode())
          .isEqualTo(403);
      CertificateAuthority.createNode(certs, "site-9", List.of("127.0.0.1"));
      for (String node : List.of("c1", "site-9")) {
        assertThat(post(https(NodeCertificates.load(certs, node)), peer, read).statusCode())
            .as(node)
            .isEqualTo(403);
      }
      // Plain HTTP, no certificate, or another authority's: no TLS session, no answer.
      Path foreign = cluster.root().resolve("foreign-certs");
      CertificateAuthority.createCa(foreign);
      CertificateAuthority.createNode(foreign, "site-1", List.of("127.0.0.1"));
      SSLContext noCertificate = SSLContext.getInstance("TLS");
      noCertificate.init(
          null, new TrustManager[] {NodeCertificates.load(certs, "site-1").trustManager()}, null);
      for (HttpClient refused :
          List.of(
              https(NodeCertificates.load(foreign, "site-1")),
              HttpClient.newBuilder().sslContext(noCertificate).build())) {
        assertThatThrownBy(() -> post(refused, peer, read)).isInstanceOf(IOException.class);
      }
      assertThatThrownBy(() -> post(HTTP, URI.create("http://127.0.0.1:" + peer.getPort()), read))
          .isInstanceOf(IOException.class);
    }
  }

  private static HttpClient https(NodeCertificates certificates) {
    return HttpClient.newBuilder().sslContext(certificates.sslContext()).build();
  }

  private static HttpResponse<String> post(HttpClient client, URI endpoint, String request)
      throws Exception {
    return client.send(
        HttpRequest.newBuilder(endpoint.resolve("/peer/v1/read"))
            .timeout(Duration.ofSeconds(10))
            .header(PeerClient.REQUEST_HEADER, request)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
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
