package dev.leasehold.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The relay the wide-area figures are taken with, over real sockets to an echo server on loopback:
 * it delays each direction by its one-way delay (pipelined, not per piece), caps the rate, holds
 * everything while cut and lets it through on heal, and a reset closes its connections. Lower
 * bounds are exact (a relay can only be slower than its settings); upper bounds are loose, for a
 * loaded machine.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class RelayTest {
  private ServerSocket echo;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    Thread.ofVirtual()
        .start(() -> {
          while (!echo.isClosed()) {
            try {
              Socket s = echo.accept();
              Thread.ofVirtual()
                  .start(() -> {
                    try (s) {
                      s.getInputStream().transferTo(s.getOutputStream());
                    } catch (IOException closed) {
                      // the test closed it
                    }
                  });
            } catch (IOException closed) {
              return;
            }
          }
        });
  }

  @AfterEach
  void stopEcho() throws IOException {
    echo.close();
  }

  private InetSocketAddress echoAddress() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), echo.getLocalPort());
  }

  private static Socket connect(Relay relay) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), relay.port());
    s.setTcpNoDelay(true);
    s.setSoTimeout(10_000);
    return s;
  }

  @Test
  void aRoundTripTakesTwiceTheOneWayDelayAndBackToBackMessagesShareIt() throws IOException {
    try (Relay relay = Relay.to(echoAddress(), Duration.ofMillis(50));
        Socket s = connect(relay)) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      long start = System.nanoTime();
      out.write(1);
      assertThat(in.read()).isEqualTo(1);
      long one = System.nanoTime() - start;
      assertThat(one).isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
      assertThat(one).isLessThan(Duration.ofMillis(400).toNanos());

      // Ten writes back to back: they arrive back to back, one round trip later, not ten.
      start = System.nanoTime();
      for (int i = 0; i < 10; i++) {
        out.write(i);
        out.flush();
      }
      for (int i = 0; i < 10; i++) {
        assertThat(in.read()).isEqualTo(i);
      }
      long ten = System.nanoTime() - start;
      assertThat(ten).isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
      assertThat(ten).isLessThan(Duration.ofMillis(600).toNanos());
      assertThat(relay.connections()).isEqualTo(1);
      assertThat(relay.bytesRelayed()).isEqualTo(22); // 11 bytes each way
    }
  }

  @Test
  void theBandwidthCapSpreadsALargeWriteOverTime() throws Exception {
    try (Relay relay = Relay.to(echoAddress(), Duration.ZERO);
        Socket s = connect(relay)) {
      relay.bandwidth(4L * 1024 * 1024);
      byte[] mib = Data.bytes(1024 * 1024, 3);
      long start = System.nanoTime();
      Thread writer =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  s.getOutputStream().write(mib);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      byte[] back = s.getInputStream().readNBytes(mib.length);
      long took = System.nanoTime() - start;
      writer.join();
      assertThat(back).isEqualTo(mib);
      // 1 MiB at 4 MiB/s each way: a quarter of a second at least.
      assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(250).toNanos());
    }
  }

  @Test
  void aCutHoldsEverythingUntilItHealsAndAResetClosesConnections() throws IOException {
    try (Relay relay = Relay.to(echoAddress(), Duration.ofMillis(5));
        Socket s = connect(relay)) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write(7);
      assertThat(in.read()).isEqualTo(7);
      long before = relay.bytesRelayed();

      relay.cut();
      out.write(8);
      s.setSoTimeout(500);
      assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
      assertThat(relay.bytesRelayed()).isEqualTo(before); // the fault happened: nothing passed
      relay.heal();
      s.setSoTimeout(10_000);
      assertThat(in.read()).isEqualTo(8);
      assertThat(relay.bytesRelayed()).isEqualTo(before + 2);

      relay.reset();
      int after;
      try {
        out.write(9);
        after = in.read();
      } catch (IOException reset) {
        after = -1;
      }
      assertThat(after).as("what a reset connection reads").isEqualTo(-1);
      // The relay itself carries on: a new connection goes through.
      try (Socket again = connect(relay)) {
        again.getOutputStream().write(10);
        assertThat(again.getInputStream().read()).isEqualTo(10);
      }
    }
  }
}
