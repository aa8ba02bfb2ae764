package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.cli.Setting;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The S3 endpoint's limits on connections, over real sockets: a header sent a byte at a time is cut
 * off at {@code header-timeout} (RequestTimeout, 400, as S3 answers a socket not read from in
 * time), and connections beyond {@code max-connections} in all or {@code
 * max-connections-per-client} from one address are answered 503 SlowDown. Client addresses are
 * 127.0.0.1, 127.0.0.2 and 127.0.0.3 (all loopback).
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConnectionLimitsIT {
  static LocalCluster cluster;
  static URI endpoint;

  @BeforeAll
  static void start() {
    cluster =
        LocalCluster.builder()
            .set(Setting.HEADER_TIMEOUT, "2s")
            .set(Setting.MAX_CONNECTIONS, "4")
            .set(Setting.MAX_CONNECTIONS_PER_CLIENT, "2")
            .start();
    endpoint = cluster.s3(0);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void aHeaderSentAByteAtATimeIsCutOffAtTheHeaderTimeout() throws Exception {
    awaitServed();
    try (Socket s = connect("127.0.0.1")) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      long start = System.nanoTime();
      out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n").getBytes(StandardCharsets.US_ASCII));
      // One byte every 300 ms for up to 20 s: the idle timeout (120 s) never fires on this.
      byte[] trickle =
          "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              .getBytes(StandardCharsets.US_ASCII);
      boolean cut = false;
      for (int i = 0; i < trickle.length && !cut; i++) {
        try {
          out.write(trickle[i]);
          out.flush();
        } catch (IOException e) {
          cut = true; // the server closed the connection
        }
        Thread.sleep(300);
        cut |= s.getInputStream().available() > 0;
      }
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.errorCode()).isEqualTo("RequestTimeout");
      assertThat(tookMillis).as("cut off after the 2 s header timeout").isBetween(1_900L, 15_000L);
      assertThat(s.getInputStream().read()).as("then closed").isEqualTo(-1);
    }
  }

  @Test
  void connectionsBeyondTheLimitsAreSlowDown() throws Exception {
    awaitServed();
    List<Socket> held = new ArrayList<>();
    try {
      // Two from 127.0.0.1, each served once (so each is counted), fill its share.
      for (int i = 0; i < 2; i++) {
        held.add(served("127.0.0.1"));
      }
      assertRefused("127.0.0.1");
      // Two more from 127.0.0.2 fill the endpoint's four.
      for (int i = 0; i < 2; i++) {
        held.add(served("127.0.0.2"));
      }
      assertRefused("127.0.0.3");
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    awaitServed(); // closed connections no longer count
  }

  /** A connection from {@code source} that has had one request answered. */
  private static Socket served(String source) throws IOException {
    Socket s = connect(source);
    s.setSoTimeout(10_000);
    RawHttp.Response r = request(s);
    assertThat(r.status()).as("a connection within the limits is served").isEqualTo(403);
    return s;
  }

  private static void assertRefused(String source) throws IOException {
    try (Socket s = connect(source)) {
      s.setSoTimeout(10_000);
      RawHttp.Response r = RawHttp.read(s.getInputStream());
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.errorCode()).isEqualTo("SlowDown");
      assertThat(s.getInputStream().read()).as("then closed").isEqualTo(-1);
    }
  }

  /** An unsigned GET of the service: 403 AccessDenied, on a kept-alive connection. */
  private static RawHttp.Response request(Socket s) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(
        ("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + endpoint.getPort() + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return RawHttp.read(s.getInputStream());
  }

  /** Waits until a new connection is served (earlier tests' connections are released). */
  private static void awaitServed() {
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> {
          try (Socket s = connect("127.0.0.1")) {
            s.setSoTimeout(10_000);
            return request(s).status() == 403;
          } catch (IOException e) {
            return false;
          }
        });
  }

  private static Socket connect(String source) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
    s.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 5_000);
    return s;
  }
}
