package dev.leasehold.testkit;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Steady client traffic while a test injects faults: a few threads per site put and get a few keys
 * in a loop, each operation at the site's current endpoint (a restarted site answers elsewhere),
 * and counts what succeeded and what failed per site. Bounded in time: it stops by itself after
 * {@code maxTime}. It checks nothing about values; the linearizability workload does that.
 *
 * <p>Thread-safe: the counters are atomic; {@link #close} joins the threads.
 */
public final class SteadyLoad implements AutoCloseable {
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLongArray succeeded;
  private final AtomicLongArray failed;

  /** When each site's last operation succeeded (System.nanoTime), 0 before the first. */
  private final AtomicLongArray lastSuccess;

  /** The longest stretch between two successes at each site so far, in nanoseconds. */
  private final AtomicLongArray longestGap;

  private final List<Thread> threads = new ArrayList<>();

  private SteadyLoad(int sites) {
    succeeded = new AtomicLongArray(sites);
    failed = new AtomicLongArray(sites);
    lastSuccess = new AtomicLongArray(sites);
    longestGap = new AtomicLongArray(sites);
  }

  /**
   * Starts {@code clientsPerSite} clients at each of {@code sites}; a client of a site that is down
   * (restarting) waits for it.
   */
  public static SteadyLoad start(
      Workload.Sites sites, int clientsPerSite, String bucket, Duration maxTime) {
    SteadyLoad load = new SteadyLoad(sites.size());
    long deadline = System.nanoTime() + maxTime.toNanos();
    for (int i = 0; i < sites.size() * clientsPerSite; i++) {
      int site = i % sites.size();
      int client = i;
      Thread t =
          new Thread(
              () -> load.run(site, client, sites, bucket, deadline), "steady-load-" + client);
      t.setDaemon(true);
      load.threads.add(t);
      t.start();
    }
    return load;
  }

  private void run(int site, int client, Workload.Sites sites, String bucket, long deadline) {
    Random random = new Random(client);
    URI at = null;
    S3Client s3 = null;
    try {
      for (long n = 0; !stop.get() && System.nanoTime() - deadline < 0; n++) {
        URI now;
        try {
          now = sites.isUp(site) ? sites.s3(site) : null;
        } catch (IllegalStateException down) {
          now = null; // it went down between the two calls
        }
        if (now == null) {
          pause(100);
          continue;
        }
        if (!now.equals(at)) {
          if (s3 != null) {
            s3.close();
          }
          at = now;
          s3 = Clients.s3(now, LocalCluster.CREDENTIALS);
        }
        S3Client c = s3;
        String key = "steady-" + random.nextInt(8);
        try {
          if (n % 2 == 0) {
            String value = "client" + client + "-" + n;
            c.putObject(p -> p.bucket(bucket).key(key), RequestBody.fromString(value));
          } else {
            try {
              c.getObjectAsBytes(g -> g.bucket(bucket).key(key));
            } catch (NoSuchKeyException absent) {
              // an answer all the same
            }
          }
          succeeded.incrementAndGet(site);
          long done = System.nanoTime();
          long before = lastSuccess.getAndSet(site, done);
          if (before != 0) {
            longestGap.accumulateAndGet(site, done - before, Math::max);
          }
        } catch (RuntimeException e) {
          failed.incrementAndGet(site);
          pause(100);
        }
      }
    } finally {
      if (s3 != null) {
        s3.close();
      }
    }
  }

  /** Operations that succeeded at {@code site} so far. */
  public long succeeded(int site) {
    return succeeded.get(site);
  }

  /**
   * The longest time site {@code site} went without a successful operation, between its first and
   * its latest (a site restarted on purpose shows its downtime here).
   */
  public Duration longestGap(int site) {
    return Duration.ofNanos(longestGap.get(site));
  }

  /** Operations that failed at {@code site} so far (a restart makes some). */
  public long failed(int site) {
    return failed.get(site);
  }

  /** Stops the clients and waits for them. */
  @Override
  public void close() {
    stop.set(true);
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(90));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
