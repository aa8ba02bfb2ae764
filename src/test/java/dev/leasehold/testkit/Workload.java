package dev.leasehold.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Linearizability.Kind;
import dev.leasehold.testkit.Linearizability.Op;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A randomized concurrent workload of puts, gets and deletes on a few keys, issued by clients at
 * every site of a namespace (in this JVM or as processes), recorded as a history for {@link
 * Linearizability}. A fault runs once, on its own thread, a third of the way through; the run waits
 * for it to end (a fault ends healed) and fails if it threw or never ran. Bounded in operations and
 * in time.
 *
 * <p>The seed is {@code -Dleasehold.seed} or, without it, a random one; it is printed when a run
 * starts and carried in the {@link Result}, for the failure message. It seeds each client's choice
 * of operations and keys, not the threads' interleaving.
 */
public final class Workload {
  /** Where the clients send their requests: each site's S3 endpoint as it is now. */
  public interface Sites {
    int size();

    /** Site {@code i}'s S3 endpoint now (a restarted site may answer elsewhere). */
    URI s3(int i);

    /** Whether site {@code i} is running. */
    boolean isUp(int i);

    /**
     * The client the workload uses for site {@code i} at {@code endpoint}: by default one that
     * never retries, so that every failure is seen as the site sent it.
     */
    default S3Client client(int i, URI endpoint) {
      return Clients.s3(endpoint, LocalCluster.CREDENTIALS);
    }
  }

  /**
   * What to run.
   *
   * @param keys how many keys the clients share
   * @param clientsPerSite concurrent clients at each site
   * @param opsPerClient operations each client issues (at most)
   * @param maxTime the longest the run may take
   * @param seed the random seed, printed so a failing run can be replayed
   * @param getPercent the share of operations that are GETs; of the rest, three in four are PUTs
   *     and one in four DELETEs
   */
  public record Settings(
      int keys, int clientsPerSite, int opsPerClient, Duration maxTime, long seed, int getPercent) {
    /** 40 % GETs, 45 % PUTs, 15 % DELETEs. */
    public Settings(int keys, int clientsPerSite, int opsPerClient, Duration maxTime, long seed) {
      this(keys, clientsPerSite, opsPerClient, maxTime, seed, 40);
    }

    /** The same, with {@code seed}. */
    public Settings withSeed(long seed) {
      return new Settings(keys, clientsPerSite, opsPerClient, maxTime, seed, getPercent);
    }
  }

  /** {@code -Dleasehold.seed}, or a new random seed. */
  public static long seed() {
    Long fixed = Long.getLong("leasehold.seed");
    return fixed != null ? fixed : ThreadLocalRandom.current().nextLong();
  }

  /**
   * A failed operation as its client saw it.
   *
   * @param status the HTTP status, 0 for no answer (a refused connection, a timeout)
   * @param at when it was sent (nanoTime)
   * @param ended when its failure came back (nanoTime)
   */
  public record Failure(int site, Kind kind, int status, long at, long ended, String message) {}

  /**
   * What a run recorded.
   *
   * @param faultStart when the fault began (nanoTime), 0 without one
   * @param faultEnd when it returned, healed (nanoTime), 0 without one
   */
  public record Result(
      long seed,
      List<Op> history,
      int succeeded,
      List<Failure> failures,
      int readsWithValues,
      long faultStart,
      long faultEnd) {
    public int failed() {
      return failures.size();
    }

    /**
     * Failures at {@code site} whose operation was in flight at some time in [{@code from}, {@code
     * to}]: sent before its end, failed after its start. (A write sent just before a site was cut
     * off waits for a leader for seconds and may fail only after the link healed.)
     */
    public List<Failure> failuresAt(int site, long from, long to) {
      return failures.stream()
          .filter(f -> f.site() == site && to - f.at() >= 0 && f.ended() - from >= 0)
          .toList();
    }
  }

  private Workload() {}

  /**
   * Runs the workload in {@code bucket}; {@code fault} runs once, on its own thread, when a third
   * of the operations are done, and the run returns only once it has returned; clients go on past
   * their share of operations while it runs. Clients of a site that is down skip their turn until
   * it is up again.
   */
  public static Result run(Sites sites, String bucket, Settings settings, @Nullable Runnable fault)
      throws InterruptedException {
    return run(sites, List.of(bucket), settings, fault);
  }

  /**
   * {@link #run(Sites, String, Settings, Runnable)} in several buckets: client {@code c} works in
   * bucket {@code c % buckets}, and with more than one bucket the history names each key as {@code
   * bucket/key}.
   */
  public static Result run(
      Sites sites, List<String> buckets, Settings settings, @Nullable Runnable fault)
      throws InterruptedException {
    System.out.println(
        "workload: seed "
            + settings.seed()
            + " (replay with -Dleasehold.seed="
            + settings.seed()
            + ")");
    int clients = sites.size() * settings.clientsPerSite();
    int total = clients * settings.opsPerClient();
    List<Op> history = Collections.synchronizedList(new ArrayList<>());
    List<Failure> failures = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger done = new AtomicInteger();
    AtomicInteger withValues = new AtomicInteger();
    long deadline = System.nanoTime() + settings.maxTime().toNanos();
    CountDownLatch finished = new CountDownLatch(clients);
    FaultThread faultThread = fault == null ? null : new FaultThread(fault);
    for (int c = 0; c < clients; c++) {
      int client = c;
      int site = c % sites.size();
      String bucket = buckets.get(c % buckets.size());
      String prefix = buckets.size() == 1 ? "" : bucket + "/";
      Thread t =
          new Thread(
              () -> {
                try (Client s3 = new Client(sites, site)) {
                  Random random = new Random(settings.seed() * 31 + client);
                  // Past its share of operations, a client goes on while a fault is in progress,
                  // so that every fault meets clients at every site (a site cut off must be seen
                  // refusing), bounded by the run's deadline.
                  for (int n = 0;
                      n < settings.opsPerClient()
                          || (faultThread != null && faultThread.inProgress());
                      n++) {
                    if (System.nanoTime() - deadline > 0) {
                      return;
                    }
                    if (!sites.isUp(site)) {
                      sleep(100);
                      n--;
                      continue;
                    }
                    String key = "key-" + random.nextInt(settings.keys());
                    String named = prefix + key;
                    int dice = random.nextInt(100);
                    int gets = settings.getPercent();
                    Kind kind =
                        dice < gets
                            ? Kind.GET
                            : dice < gets + (100 - gets) * 3 / 4 ? Kind.PUT : Kind.DELETE;
                    String value = kind == Kind.PUT ? "c" + client + "-" + n : null;
                    long invoke = System.nanoTime();
                    try {
                      String got = s3.apply(bucket, key, kind, value);
                      if (kind == Kind.GET && got != null) {
                        withValues.incrementAndGet();
                      }
                      history.add(
                          new Op(
                              client,
                              named,
                              kind,
                              kind == Kind.GET ? got : value,
                              invoke,
                              System.nanoTime()));
                    } catch (RuntimeException e) {
                      failures.add(
                          new Failure(
                              site,
                              kind,
                              e instanceof S3Exception s ? s.statusCode() : 0,
                              invoke,
                              System.nanoTime(),
                              String.valueOf(e.getMessage())));
                      if (kind != Kind.GET) {
                        // It may or may not have taken effect.
                        history.add(
                            new Op(client, named, kind, value, invoke, Linearizability.UNKNOWN));
                      }
                      sleep(100);
                    }
                    if (done.incrementAndGet() >= total / 3 && faultThread != null) {
                      faultThread.startOnce();
                    }
                  }
                } finally {
                  finished.countDown();
                }
              },
              "client-" + client);
      t.setDaemon(true);
      t.start();
    }
    boolean all = finished.await(settings.maxTime().toMillis() + 120_000, TimeUnit.MILLISECONDS);
    assertThat(all).as("the clients finished (seed %d)", settings.seed()).isTrue();
    long faultStart = 0;
    long faultEnd = 0;
    if (faultThread != null) {
      faultThread.startOnce(); // too few operations before the deadline: run it now
      faultThread.await(settings.maxTime().plusMinutes(2), settings.seed());
      faultStart = faultThread.start.get();
      faultEnd = faultThread.end.get();
    }
    List<Op> ops = new ArrayList<>(history);
    int succeeded = (int) ops.stream().filter(Op::known).count();
    return new Result(
        settings.seed(),
        ops,
        succeeded,
        List.copyOf(failures),
        withValues.get(),
        faultStart,
        faultEnd);
  }

  /**
   * Reads every key once at every site, after a run (its fault healed): the reads join the history,
   * so a site that lost an acknowledged write, or came back with a stale cache, fails the check. A
   * 503 says nothing (a restarted site answers it until it has its session and has taken back what
   * it owns): such a read is asked again, for up to 30 s; any other error fails the test.
   *
   * @param firstClient the client number of site 0's reads; site {@code i}'s is one more each
   */
  public static List<Op> finalReads(Sites sites, String bucket, int keys, int firstClient) {
    return finalReads(sites, List.of(bucket), keys, firstClient);
  }

  /** {@link #finalReads(Sites, String, int, int)} of every key of several buckets. */
  public static List<Op> finalReads(Sites sites, List<String> buckets, int keys, int firstClient) {
    List<Op> reads = new ArrayList<>();
    for (String bucket : buckets) {
      reads.addAll(
          finalReads(sites, bucket, buckets.size() == 1 ? "" : bucket + "/", keys, firstClient));
    }
    return reads;
  }

  private static List<Op> finalReads(
      Sites sites, String bucket, String prefix, int keys, int firstClient) {
    List<Op> reads = new ArrayList<>();
    for (int site = 0; site < sites.size(); site++) {
      try (Client s3 = new Client(sites, site)) {
        for (int k = 0; k < keys; k++) {
          String key = "key-" + k;
          long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          while (true) {
            long invoke = System.nanoTime();
            String got;
            try {
              got = s3.apply(bucket, key, Kind.GET, null);
            } catch (S3Exception e) {
              if (e.statusCode() != 503 || System.nanoTime() - deadline > 0) {
                throw e;
              }
              sleep(100);
              continue;
            }
            reads.add(
                new Op(firstClient + site, prefix + key, Kind.GET, got, invoke, System.nanoTime()));
            break;
          }
        }
      }
    }
    return reads;
  }

  /** The check of a run and its final reads: linearizable per key, and not vacuous. */
  public static void assertLinearizable(Result result, List<Op> finalReads) {
    List<Op> history = new ArrayList<>(result.history());
    history.addAll(finalReads);
    Linearizability.Verdict verdict = Linearizability.check(history);
    assertThat(verdict.linearizable())
        .as("history of key %s (seed %d):\n%s", verdict.key(), result.seed(), verdict.history())
        .isTrue();
    // Not vacuous: most operations went through, and reads saw values.
    assertThat(result.succeeded())
        .as(
            "operations that succeeded, of %d (seed %d)",
            result.succeeded() + result.failed(), result.seed())
        .isGreaterThan((result.succeeded() + result.failed()) / 2);
    assertThat(result.readsWithValues()).as("reads that saw a value").isGreaterThan(5);
    // A fault may cost 503s (and, when a site is killed, no answer); anything else is a bug.
    assertThat(result.failures())
        .as("failures other than 503 or no answer (seed %d)", result.seed())
        .allSatisfy(f -> assertThat(f.status()).isIn(0, 503));
  }

  /** One client's connection to a site, made again when the site answers elsewhere. */
  private static final class Client implements AutoCloseable {
    private final Sites sites;
    private final int site;
    private @Nullable URI at;
    private @Nullable S3Client s3;

    Client(Sites sites, int site) {
      this.sites = sites;
      this.site = site;
    }

    /** Does one operation; a GET returns the value read (null: no object). */
    @Nullable String apply(String bucket, String key, Kind kind, @Nullable String value) {
      URI now = sites.s3(site);
      if (s3 == null || !now.equals(at)) {
        close();
        at = now;
        s3 = sites.client(site, now);
      }
      S3Client c = s3;
      switch (kind) {
        case PUT ->
            c.putObject(
                p -> p.bucket(bucket).key(key), RequestBody.fromString(String.valueOf(value)));
        case DELETE -> c.deleteObject(d -> d.bucket(bucket).key(key));
        case GET -> {
          try {
            return c.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asUtf8String();
          } catch (NoSuchKeyException absent) {
            return null;
          }
        }
      }
      return null;
    }

    @Override
    public void close() {
      if (s3 != null) {
        s3.close();
        s3 = null;
      }
    }
  }

  /** The fault, on its own thread, started once; its end and any failure are kept. */
  private static final class FaultThread {
    private final Thread thread;
    private final AtomicLong start = new AtomicLong();
    private final AtomicLong end = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicInteger started = new AtomicInteger();

    FaultThread(Runnable fault) {
      this.thread =
          new Thread(
              () -> {
                start.set(System.nanoTime());
                try {
                  fault.run();
                } catch (Throwable t) {
                  failure.set(t);
                } finally {
                  end.set(System.nanoTime());
                }
              },
              "fault");
      thread.setDaemon(true);
    }

    /** Whether the fault has begun and not yet returned. */
    boolean inProgress() {
      return started.get() == 1 && end.get() == 0;
    }

    void startOnce() {
      if (started.compareAndSet(0, 1)) {
        thread.start();
      }
    }

    void await(Duration timeout, long seed) throws InterruptedException {
      thread.join(timeout.toMillis());
      assertThat(thread.isAlive())
          .as("the fault still runs after %s (seed %d)", timeout, seed)
          .isFalse();
      Throwable t = failure.get();
      if (t != null) {
        throw new AssertionError("the fault failed (seed " + seed + ")", t);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
