package dev.leasehold.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * What each operation costs a site in round trips across a wide area: the time it takes with its
 * links delayed, less the time in the same topology without delay, over the round-trip time. A
 * cluster built {@link LocalCluster.Builder#relayed} gives the topology; {@link #measure} runs
 * every operation at one site, the other site playing its part (writing what is read cold, holding
 * what is recalled). Shared by the end-to-end tests and {@code bench/run.sh wan}.
 *
 * <p>Not thread-safe: one caller at a time.
 */
public final class WanCosts implements AutoCloseable {
  /** The operations of the table, each measured at the site {@code at}. */
  public enum Operation {
    HIT("GET, cache hit under a READ lease"),
    COLD_GET("GET, cold (object written at the other site)"),
    PUT_NEW("PUT of a new key, write-through"),
    PUT_EXISTING("PUT of an existing key, write-through"),
    DELETE("DELETE, write-through"),
    PUT_NEW_WRITE_BACK("PUT of a new key, write-back"),
    PUT_AGAIN_WRITE_BACK("PUT again at the owner, write-back"),
    LIST("LIST of a prefix"),
    PUT_RECALLING("PUT while the other site holds READ (recall + origin PUT)"),
    REDIRECTED_GET("GET redirected to the owner (write-back, the other site, far)"),
    REDIRECTED_AGAIN("GET redirected again: straight to the owner it knows");

    private final String label;

    Operation(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** One operation's median times near and far, and the round trips between them. */
  public record Cost(Operation operation, double nearMillis, double farMillis, double roundTrips) {}

  private final LocalCluster cluster;
  private final int at;
  private final int other;
  private final S3Client here;
  private final S3Client there;
  private final String writeThrough;
  private final String writeBack;
  private final AtomicInteger keys = new AtomicInteger();

  /**
   * Makes a write-through and a write-back bucket and warms both sites' connections.
   *
   * @param at the site the operations are measured at
   * @param other the site that writes what {@code at} reads cold and holds what it recalls
   */
  public WanCosts(LocalCluster cluster, int at, int other) throws InterruptedException {
    this.cluster = cluster;
    this.at = at;
    this.other = other;
    this.here = cluster.client(at);
    this.there = cluster.client(other);
    this.writeThrough = Data.bucket(here);
    this.writeBack = Data.bucket(here);
    cluster.site(at).leases().admin().setWriteMode(writeBack, true, "redirect");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (cluster.site(at).leases().owned(writeBack, "probe") == null) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the bucket did not become write-back");
      }
      here.putObject(p -> p.bucket(writeBack).key("probe"), RequestBody.fromString("p"));
      Thread.sleep(100);
    }
    for (int i = 0; i < 3; i++) {
      for (Operation op : Operation.values()) {
        run(op, 16);
      }
    }
  }

  /**
   * Every operation's cost with objects of {@code size} bytes: {@code reps} times each with the
   * cluster as it is now (near), then again after {@code farther} puts the sites at a distance,
   * which this undoes before it returns.
   *
   * @param roundTrip the round-trip time {@code farther} adds to a link
   */
  public List<Cost> measure(
      int size, int reps, Duration roundTrip, Runnable farther, Runnable back) {
    return measure(List.of(Operation.values()), size, reps, roundTrip, farther, back);
  }

  /** As {@link #measure(int, int, Duration, Runnable, Runnable)}, for {@code ops} alone. */
  public List<Cost> measure(
      List<Operation> ops,
      int size,
      int reps,
      Duration roundTrip,
      Runnable farther,
      Runnable back) {
    double[] near = new double[Operation.values().length];
    for (Operation op : ops) {
      near[op.ordinal()] = median(op, size, reps);
    }
    farther.run();
    try {
      List<Cost> costs = new ArrayList<>();
      for (Operation op : ops) {
        double far = median(op, size, reps);
        double n = near[op.ordinal()];
        costs.add(new Cost(op, n, far, (far - n) / (roundTrip.toNanos() / 1e6)));
      }
      return costs;
    } finally {
      back.run();
    }
  }

  private double median(Operation op, int size, int reps) {
    double[] millis = new double[reps];
    for (int i = 0; i < reps; i++) {
      millis[i] = run(op, size) / 1e6;
    }
    java.util.Arrays.sort(millis);
    return millis[reps / 2];
  }

  /**
   * Writes {@code key} here and waits until its commit, which follows the answer, has ended (the
   * HEAD waits for it): an existing key, as opposed to one written a moment ago, whose second write
   * would wait for the first's commit.
   */
  private void existing(String key, byte[] body) {
    here.putObject(p -> p.bucket(writeThrough).key(key), RequestBody.fromBytes(body));
    here.headObject(h -> h.bucket(writeThrough).key(key));
  }

  /** Runs {@code op} once, with what it needs set up first (not timed); nanoseconds. */
  private long run(Operation op, int size) {
    String key = "wan-" + keys.incrementAndGet();
    byte[] body = Data.bytes(size, key.hashCode());
    switch (op) {
      case HIT -> {
        there.putObject(p -> p.bucket(writeThrough).key(key), RequestBody.fromBytes(body));
        here.getObjectAsBytes(g -> g.bucket(writeThrough).key(key));
        return time(() -> here.getObjectAsBytes(g -> g.bucket(writeThrough).key(key)));
      }
      case COLD_GET -> {
        there.putObject(p -> p.bucket(writeThrough).key(key), RequestBody.fromBytes(body));
        return time(() -> here.getObjectAsBytes(g -> g.bucket(writeThrough).key(key)));
      }
      case PUT_NEW -> {
        return time(() ->
            here.putObject(p -> p.bucket(writeThrough).key(key), RequestBody.fromBytes(body)));
      }
      case PUT_EXISTING -> {
        existing(key, body);
        return time(() ->
            here.putObject(p -> p.bucket(writeThrough).key(key), RequestBody.fromBytes(body)));
      }
      case DELETE -> {
        existing(key, body);
        return time(() -> here.deleteObject(d -> d.bucket(writeThrough).key(key)));
      }
      case PUT_NEW_WRITE_BACK -> {
        return time(
            () -> here.putObject(p -> p.bucket(writeBack).key(key), RequestBody.fromBytes(body)));
      }
      case PUT_AGAIN_WRITE_BACK -> {
        here.putObject(p -> p.bucket(writeBack).key(key), RequestBody.fromBytes(body));
        return time(
            () -> here.putObject(p -> p.bucket(writeBack).key(key), RequestBody.fromBytes(body)));
      }
      case LIST -> {
        there.putObject(p -> p.bucket(writeThrough).key(key + "/a"), RequestBody.fromBytes(body));
        return time(() -> here.listObjectsV2(l -> l.bucket(writeThrough).prefix(key + "/")));
      }
      case REDIRECTED_GET -> {
        there.putObject(p -> p.bucket(writeBack).key(key), RequestBody.fromBytes(body));
        return time(() -> here.getObjectAsBytes(g -> g.bucket(writeBack).key(key)));
      }
      case REDIRECTED_AGAIN -> {
        there.putObject(p -> p.bucket(writeBack).key(key), RequestBody.fromBytes(body));
        here.getObjectAsBytes(g -> g.bucket(writeBack).key(key));
        return time(() -> here.getObjectAsBytes(g -> g.bucket(writeBack).key(key)));
      }
      case PUT_RECALLING -> {
        here.putObject(p -> p.bucket(writeThrough).key(key), RequestBody.fromBytes(body));
        there.getObjectAsBytes(g -> g.bucket(writeThrough).key(key));
        return time(() ->
            here.putObject(p -> p.bucket(writeThrough).key(key), RequestBody.fromBytes(body)));
      }
    }
    throw new IllegalArgumentException(op.name());
  }

  private static long time(Runnable call) {
    long start = System.nanoTime();
    call.run();
    return System.nanoTime() - start;
  }

  /** The site the operations are measured at. */
  public int site() {
    return at;
  }

  @Override
  public void close() {
    here.close();
    there.close();
  }

  /** A table of {@code costs}, one line each, with {@code limits} beside (by operation). */
  public static String table(
      String title, List<Cost> costs, java.util.Map<Operation, String> limits) {
    StringBuilder t = new StringBuilder(title).append('\n');
    t.append(
        String.format(
            "%-60s %9s %9s %11s  %s%n", "operation", "near ms", "far ms", "round trips", "limit"));
    for (Cost c : costs) {
      t.append(
          String.format(
              "%-60s %9.1f %9.1f %11.1f  %s%n",
              c.operation().label(),
              c.nearMillis(),
              c.farMillis(),
              c.roundTrips(),
              limits.getOrDefault(c.operation(), "")));
    }
    return t.toString();
  }

  /**
   * The topology of the table: two sites and one coordinator peer over S3Proxy, every link relayed
   * ({@link LocalCluster.Builder#relayed}) and, until {@link #distance}, without delay.
   */
  public static LocalCluster twoSites() {
    return LocalCluster.builder()
        .origin(OriginKind.S3PROXY)
        .sites(2)
        .coordinators(1)
        .relayed()
        .start();
  }

  /**
   * Puts the sites at a distance: {@code remote} {@code oneWay} from the coordinator, every site
   * {@code oneWay} from the origin and from the other sites (what one asks another's peer port:
   * redirected reads); or back next to all with {@link Duration#ZERO}.
   */
  public static Runnable distance(LocalCluster cluster, int remote, Duration oneWay) {
    return () -> {
      cluster.distance(remote, oneWay);
      for (int i = 0; i < cluster.size(); i++) {
        cluster.originRelay(i).delay(oneWay);
        cluster.peerRelay(i).delay(oneWay);
      }
    };
  }
}
