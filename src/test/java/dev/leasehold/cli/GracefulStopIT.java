package dev.leasehold.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.s3.Credentials;
import dev.leasehold.testkit.Clients;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.JarProcess;
import dev.leasehold.testkit.ProcessNamespace;
import dev.leasehold.testkit.S3ProxyServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * A graceful stop, as a supervisor makes one: SIGTERM to a site process (a real namespace of
 * processes over S3Proxy) while a slow upload is in flight. The upload is answered 200 (the client
 * does not retry); /health/ready says 503 during the drain; the dirty write-back version reaches
 * the origin; the site ends its session, so the coordinator has dropped it before any expiry could
 * have; the process exits 0. Started again, the site serves everything, as does the other site.
 */
class GracefulStopIT {
  /**
   * Long enough that the session's end cannot be mistaken for its expiry (no sooner than 2/3·TTL
   * after the signal), short enough that the fresh coordinator's start-up grace (a TTL) is brief.
   */
  static final Duration TTL = Duration.ofSeconds(20);

  static final int SLOW_SIZE = 2 * 1024 * 1024;
  static final int SLOW_PIECES = 20;
  static final long PIECE_PAUSE_MILLIS = 150;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void sigtermAnswersWhatIsInFlightFlushesTheJournalEndsTheSessionAndExitsZero() throws Exception {
    try (ProcessNamespace ns = ProcessNamespace.start(1, 0, TTL)) {
      ns.addSite();
      // Site 2 flushes write-back versions only after an hour, or when it stops.
      ns.addSite("--flush-delay=1h");
      ns.awaitReady(0, Duration.ofSeconds(60));
      ns.awaitReady(1, Duration.ofSeconds(60));
      JarProcess site2 = ns.siteProcess(1);
      byte[] slow = Data.bytes(SLOW_SIZE, 7);
      byte[] dirty = Data.bytes(1000, 8);
      byte[] held = Data.bytes(1000, 9);
      String bucket;
      String writeBack;
      try (S3Client a = ns.client(0);
          S3Client b = ns.client(1);
          S3Client origin =
              Clients.s3(
                  ns.originEndpoint(),
                  new Credentials(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))) {
        bucket = Data.bucket(a);
        writeBack = Data.bucket(a);
        assertThat(ns.admin(0, "write-mode", writeBack, "write-back").getKey()).isZero();

        // Site 2 holds a READ lease on `held`, and a write-back version only it has.
        a.putObject(r -> r.bucket(bucket).key("held"), RequestBody.fromBytes(held));
        assertThat(b.getObjectAsBytes(r -> r.bucket(bucket).key("held")).asByteArray())
            .isEqualTo(held);
        // The mode is in effect once every site has renewed since the change: until a put at
        // site 2 stays off the origin.
        Awaitility.await()
            .atMost(TTL)
            .pollInterval(Duration.ofMillis(500))
            .until(() -> {
              String probe = "probe-" + System.nanoTime();
              b.putObject(r -> r.bucket(writeBack).key(probe), RequestBody.fromString(probe));
              return !exists(origin, writeBack, probe);
            });
        b.putObject(r -> r.bucket(writeBack).key("dirty"), RequestBody.fromBytes(dirty));
        assertThat(exists(origin, writeBack, "dirty"))
            .as("before the stop, the write-back version is only in site 2's journal")
            .isFalse();
        assertThat(journalEntries(ns.root().resolve("site2"))).isPositive();

        // A slow upload is in flight when SIGTERM arrives.
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<PutObjectResponse> upload =
            CompletableFuture.supplyAsync(() ->
                b.putObject(
                    r -> r.bucket(bucket).key("slow").contentLength((long) SLOW_SIZE),
                    RequestBody.fromContentProvider(
                        () -> new SlowStream(slow, started), SLOW_SIZE, "text/plain")));
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        long signalled = System.nanoTime();
        site2.terminate();

        // Draining: not ready, while the upload goes on.
        Map.Entry<Integer, String> during = ns.readiness(1);
        while (during.getKey() == 200 && !upload.isDone()) {
          Thread.sleep(20);
          during = ns.readiness(1);
        }
        assertThat(upload.isDone()).as("the upload is still in flight").isFalse();
        assertThat(during.getKey()).as(during.getValue()).isEqualTo(503);
        assertThat(during.getValue()).contains("stopping");

        PutObjectResponse put = upload.get(60, TimeUnit.SECONDS);
        assertThat(put.eTag()).isEqualTo("\"" + Data.md5Hex(slow) + "\"");
        assertThat(site2.awaitExit()).as(site2.tail(40)).isZero();
        long exited = System.nanoTime();
        // The coordinator dropped the session when the site ended it, not at its expiry: the
        // last renewal was at most TTL/3 before the signal, so expiry comes no sooner than
        // 2/3·TTL after it.
        long sessions = ns.status(0).orElseThrow().getSessions();
        long checkedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
        assertThat(checkedAfter).isLessThan(TTL.toMillis() * 2 / 3);
        assertThat(sessions)
            .as("sessions at the coordinator after site 2 stopped\n%s", site2.tail(30))
            .isEqualTo(1L);
        assertThat(String.join("\n", site2.lines()))
            .contains("ended session")
            .doesNotContain("ERROR");
        assertThat(ns.peer(0).tail(200)).doesNotContain("expired");
        System.out.printf(
            "graceful stop: exited %d ms after SIGTERM%n",
            TimeUnit.NANOSECONDS.toMillis(exited - signalled));

        // The journal was flushed: the version is at the origin, the journal empty.
        assertThat(origin.getObjectAsBytes(r -> r.bucket(writeBack).key("dirty")).asByteArray())
            .isEqualTo(dirty);
        assertThat(journalEntries(ns.root().resolve("site2"))).isZero();
        // A write of what site 2 held goes ahead with nobody to recall.
        a.putObject(r -> r.bucket(bucket).key("held"), RequestBody.fromBytes(dirty));
      }

      // Healed: site 2 is back, and every site reads everything.
      ns.startSite(1);
      ns.awaitReady(1, Duration.ofSeconds(60));
      for (int i = 0; i < 2; i++) {
        try (S3Client s = ns.client(i)) {
          assertThat(s.getObjectAsBytes(r -> r.bucket(bucket).key("slow")).asByteArray())
              .isEqualTo(slow);
          assertThat(s.getObjectAsBytes(r -> r.bucket(bucket).key("held")).asByteArray())
              .isEqualTo(dirty);
          assertThat(s.getObjectAsBytes(r -> r.bucket(writeBack).key("dirty")).asByteArray())
              .isEqualTo(dirty);
        }
      }
    }
  }

  private static boolean exists(S3Client s3, String bucket, String key) {
    try {
      s3.headObject(r -> r.bucket(bucket).key(key));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    }
  }

  /** Records ({@code <seq>.rec}) in a site's write-back journal directory. */
  private static long journalEntries(Path dataDir) throws IOException {
    Path journal = dataDir.resolve("journal");
    if (!Files.exists(journal)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(journal)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".rec")).count();
    }
  }

  /** A body that arrives in pieces, a pause apart; {@code started} once the first is read. */
  private static final class SlowStream extends InputStream {
    private final byte[] data;
    private final CountDownLatch started;
    private int at;

    SlowStream(byte[] data, CountDownLatch started) {
      this.data = data;
      this.started = started;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (at >= data.length) {
        return -1;
      }
      int piece = data.length / SLOW_PIECES;
      if (at > 0 && at % piece == 0) {
        try {
          Thread.sleep(PIECE_PAUSE_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      int n = Math.min(len, Math.min(data.length - at, piece - at % piece));
      System.arraycopy(data, at, b, off, n);
      at += n;
      started.countDown();
      return n;
    }
  }
}
