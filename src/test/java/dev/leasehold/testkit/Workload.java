package dev.leasehold.testkit;

import dev.leasehold.testkit.Linearizability.Kind;
import dev.leasehold.testkit.Linearizability.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A randomized concurrent workload of puts, gets and deletes on a few keys, issued by clients at
 * every site of a {@link LocalCluster}, recorded as a history for {@link Linearizability}. A fault
 * can be injected once, a third of the way through. Bounded in operations and in time.
 */
public final class Workload {
  /**
   * What to run.
   *
   * @param keys how many keys the clients share
   * @param clientsPerSite concurrent clients at each site
   * @param opsPerClient operations each client issues (at most)
   * @param maxTime the longest the run may take
   * @param seed the random seed, printed so a failing run can be replayed
   */
  public record Settings(
      int keys, int clientsPerSite, int opsPerClient, Duration maxTime, long seed) {}

  /** What a run recorded. */
  public record Result(List<Op> history, int succeeded, int failed, int readsWithValues) {}

  private Workload() {}

  /**
   * Runs the workload in {@code bucket}; {@code fault} runs once, on its own thread, when a third
   * of the operations are done. Clients of a site that is down stop.
   */
  public static Result run(
      LocalCluster cluster, String bucket, Settings settings, @Nullable Runnable fault)
      throws InterruptedException {
    int sites = cluster.size();
    int clients = sites * settings.clientsPerSite();
    int total = clients * settings.opsPerClient();
    List<Op> history = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger withValues = new AtomicInteger();
    AtomicBoolean faulted = new AtomicBoolean(fault == null);
    long deadline = System.nanoTime() + settings.maxTime().toNanos();
    CountDownLatch finished = new CountDownLatch(clients);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      int site = c % sites;
      S3Client s3 = Clients.s3(cluster.site(site).s3Endpoint(), LocalCluster.CREDENTIALS);
      Thread t =
          new Thread(
              () -> {
                Random random = new Random(settings.seed() * 31 + client);
                try (s3) {
                  for (int n = 0; n < settings.opsPerClient(); n++) {
                    if (System.nanoTime() - deadline > 0 || !cluster.isUp(site)) {
                      return;
                    }
                    String key = "key-" + random.nextInt(settings.keys());
                    int dice = random.nextInt(100);
                    Kind kind = dice < 40 ? Kind.GET : dice < 85 ? Kind.PUT : Kind.DELETE;
                    String value = kind == Kind.PUT ? "c" + client + "-" + n : null;
                    long invoke = System.nanoTime();
                    try {
                      String got = null;
                      switch (kind) {
                        case PUT ->
                            s3.putObject(
                                p -> p.bucket(bucket).key(key), RequestBody.fromString(value));
                        case DELETE -> s3.deleteObject(d -> d.bucket(bucket).key(key));
                        case GET -> {
                          try {
                            got =
                                s3.getObjectAsBytes(g -> g.bucket(bucket).key(key)).asUtf8String();
                            withValues.incrementAndGet();
                          } catch (NoSuchKeyException absent) {
                            got = null;
                          }
                        }
                      }
                      long response = System.nanoTime();
                      history.add(
                          new Op(
                              client, key, kind, kind == Kind.GET ? got : value, invoke, response));
                    } catch (RuntimeException e) {
                      failed.incrementAndGet();
                      if (kind != Kind.GET) {
                        // It may or may not have taken effect.
                        history.add(
                            new Op(client, key, kind, value, invoke, Linearizability.UNKNOWN));
                      }
                      sleep(100);
                    }
                    if (done.incrementAndGet() >= total / 3 && faulted.compareAndSet(false, true)) {
                      Thread f = new Thread(fault, "fault");
                      f.setDaemon(true);
                      f.start();
                    }
                  }
                } finally {
                  finished.countDown();
                }
              },
              "client-" + client);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    if (!finished.await(
        settings.maxTime().toMillis() + 120_000, java.util.concurrent.TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("the workload did not finish");
    }
    int succeeded = (int) history.stream().filter(Op::known).count();
    return new Result(new ArrayList<>(history), succeeded, failed.get(), withValues.get());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
