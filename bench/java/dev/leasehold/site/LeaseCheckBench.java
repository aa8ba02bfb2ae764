package dev.leasehold.site;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.testkit.LocalCluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The lease check of a cache hit ({@link LeaseVersionCheck#current}): the READ lease is held, so
 * the version is answered from the site's own state with no round trip. A real site of a real
 * (one-peer Ratis) coordinator group; the lease is renewed by its session as in production.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LeaseCheckBench {
  private LocalCluster cluster;
  private LeaseVersionCheck check;

  @Setup
  public void setUp() {
    cluster = LocalCluster.builder().sites(1).coordinators(1).start();
    cluster.client(0).createBucket(b -> b.bucket("bench"));
    cluster.client(0).putObject(b -> b.bucket("bench").key("hot"), RequestBody.fromString("x"));
    check =
        new LeaseVersionCheck(
            cluster.site(0).leases(), cluster.origin(0), Duration.ofSeconds(30), System::nanoTime);
    check.current("bench", "hot", false); // acquires the READ lease and learns the version
  }

  @TearDown
  public void tearDown() {
    cluster.close();
  }

  @Benchmark
  public ObjectInfo heldLease() {
    return check.current("bench", "hot", false);
  }

  @Benchmark
  @Threads(2)
  public ObjectInfo heldLeaseTwoThreads() {
    return check.current("bench", "hot", false);
  }
}
