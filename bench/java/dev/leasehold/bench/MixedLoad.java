package dev.leasehold.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A warp-like mixed load on the AWS SDK v2: {@code THREADS} clients for {@code SECONDS} (or {@code
 * MAX_OPS}), each picking GET, HEAD, PUT, LIST or DELETE by weight, on objects of three sizes.
 * Reads go to a fixed set of objects written first; puts write new keys, deletes remove what the
 * puts wrote. Any error fails the run. Thread-safe per run: each thread keeps its own samples.
 */
final class MixedLoad {
  static final int THREADS = Integer.getInteger("bench.mixed-threads", 16);
  static final int SECONDS = Integer.getInteger("bench.mixed-seconds", 15);

  /**
   * How long each target is loaded unmeasured in one warm-up round. The site is a fresh JVM, and
   * S3Proxy and the clients share the bench's: on two cores their JITs take minutes under this
   * load, so the rounds go on until both have settled ({@link #SETTLED}), at most {@link
   * #WARMUP_ROUNDS} of them.
   */
  static final int WARMUP_SECONDS = Integer.getInteger("bench.mixed-warmup-seconds", 15);

  /** The most warm-up rounds (each loads the site, then S3Proxy directly). */
  static final int WARMUP_ROUNDS = Integer.getInteger("bench.mixed-warmup-rounds", 6);

  /**
   * A JIT has settled when it compiled for at most this share of a round's wall time (compilation
   * time as the JVM counts it, over its compiler threads).
   */
  static final double SETTLED = 0.10;

  static final int MAX_OPS = 200_000;
  static final int[] SIZES = {4 << 10, 64 << 10, 1 << 20};
  static final int READ_OBJECTS_PER_SIZE = 16;
  static final List<String> OPS = List.of("GET", "HEAD", "PUT", "LIST", "DELETE");
  static final int[] WEIGHTS = {50, 15, 20, 10, 5};
  static final String DESCRIPTION =
      THREADS + " SDK clients, GET 50 / HEAD 15 / PUT 20 / LIST 10 / DELETE 5 %, 4 KiB–1 MiB";

  /** Latencies per operation and the wall time they took. */
  record Result(Map<String, Latencies> latencies, double seconds) {
    /** The operations done. */
    int count() {
      return latencies.values().stream().mapToInt(Latencies::count).sum();
    }

    double opsPerSecond() {
      return count() / seconds;
    }

    double percentile(String op, double p) {
      return latencies.get(op).percentileMillis(p);
    }

    String table(String indent) {
      StringBuilder out = new StringBuilder();
      for (String op : OPS) {
        Latencies l = latencies.get(op);
        out.append(
            String.format(
                "%s%-6s %7.0f ops/s  p50 %7.2f ms  p99 %7.2f ms  p999 %7.2f ms  (n=%d)%n",
                indent,
                op,
                l.count() / seconds,
                l.percentileMillis(50),
                l.percentileMillis(99),
                l.percentileMillis(99.9),
                l.count()));
      }
      return out.toString();
    }
  }

  private MixedLoad() {}

  static Result run(S3Client s3, String bucket, String prefix) throws InterruptedException {
    return run(s3, bucket, prefix, SECONDS);
  }

  /** The load for {@code seconds} (or MAX_OPS), on keys under {@code prefix}. */
  static Result run(S3Client s3, String bucket, String prefix, int seconds)
      throws InterruptedException {
    byte[][] bodies = new byte[SIZES.length][];
    for (int i = 0; i < SIZES.length; i++) {
      bodies[i] = HotPathBench.random(SIZES[i], i + 10);
    }
    for (int i = 0; i < SIZES.length; i++) {
      int size = i;
      for (int n = 0; n < READ_OBJECTS_PER_SIZE; n++) {
        String key = prefix + "read/" + size + "-" + n;
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bodies[size]));
      }
    }
    ConcurrentLinkedQueue<String> written = new ConcurrentLinkedQueue<>();
    AtomicLong ops = new AtomicLong();
    AtomicLong next = new AtomicLong();
    List<Map<String, Latencies>> perThread = new ArrayList<>();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
    for (int t = 0; t < THREADS; t++) {
      Map<String, Latencies> mine = new HashMap<>();
      OPS.forEach(op -> mine.put(op, new Latencies()));
      perThread.add(mine);
      threads.add(
          Thread.ofPlatform()
              .start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (System.nanoTime() < deadline && ops.incrementAndGet() <= MAX_OPS) {
                  String op = pick(random.nextInt(100));
                  int size = random.nextInt(SIZES.length);
                  String readKey =
                      prefix + "read/" + size + "-" + random.nextInt(READ_OBJECTS_PER_SIZE);
                  long t0 = System.nanoTime();
                  try {
                    switch (op) {
                      case "GET" ->
                          s3.getObject(
                              b -> b.bucket(bucket).key(readKey), ResponseTransformer.toBytes());
                      case "HEAD" -> s3.headObject(b -> b.bucket(bucket).key(readKey));
                      case "PUT" -> {
                        String key = prefix + "write/" + next.incrementAndGet();
                        s3.putObject(
                            b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bodies[size]));
                        written.add(key);
                      }
                      case "LIST" ->
                          s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix + "read/"));
                      default -> {
                        String key = written.poll();
                        if (key == null) {
                          continue; // nothing to delete yet
                        }
                        s3.deleteObject(b -> b.bucket(bucket).key(key));
                      }
                    }
                  } catch (RuntimeException e) {
                    failures.add(e);
                    return;
                  }
                  mine.get(op).add(System.nanoTime() - t0);
                }
              }));
    }
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(seconds + 120));
    }
    double took = (System.nanoTime() - start) / 1e9;
    if (!failures.isEmpty()) {
      throw new IllegalStateException(failures.size() + " operations failed", failures.get(0));
    }
    Map<String, Latencies> all = new HashMap<>();
    OPS.forEach(op -> all.put(op, new Latencies()));
    for (Map<String, Latencies> m : perThread) {
      m.forEach((op, l) -> all.get(op).addAll(l));
    }
    return new Result(all, took);
  }

  private static String pick(int roll) {
    int sum = 0;
    for (int i = 0; i < OPS.size(); i++) {
      sum += WEIGHTS[i];
      if (roll < sum) {
        return OPS.get(i);
      }
    }
    return OPS.get(OPS.size() - 1);
  }
}
