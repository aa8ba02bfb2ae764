package dev.leasehold.s3;

import dev.leasehold.testkit.Signer;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The request front end's CPU work on a GET: routing (path, query, bucket and key, the S3
 * operation) and SigV4 verification, presigned and header-signed, with the signing key cached as on
 * the hot path. The requests are signed by the AWS SDK's signer; the clock is fixed, so they stay
 * valid however long the run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SigV4Bench {
  private static final Credentials KEYS =
      new Credentials("bench-access", "bench-secret-key-0123456789");
  private static final URI ENDPOINT = URI.create("http://127.0.0.1:9000");
  private static final String PATH = "/bench/datasets/train/shard-00042.parquet";

  private Router router;
  private Authenticator authenticator;
  private HttpRequest presigned;
  private HttpRequest headerSigned;

  @Setup
  public void setUp() {
    Clock clock = Clock.fixed(Instant.parse("2026-12-01T12:00:00Z"), ZoneOffset.UTC);
    Signer signer = new Signer(KEYS, "us-east-1", clock);
    router = new Router(List.of("localhost"));
    authenticator =
        new Authenticator(KEYS, KeyRing.NONE, "us-east-1", Duration.ofMinutes(15), clock);
    URI url = signer.presign("GET", ENDPOINT, PATH, Duration.ofHours(1));
    presigned = request(url.getRawPath() + "?" + url.getRawQuery(), Map.of());
    String head =
        signer.sign("GET", ENDPOINT, PATH, Map.of(), new byte[0], Signer.Payload.UNSIGNED).head();
    headerSigned = parse(head);
    // Fail here, not in the measurement, if either is not accepted.
    authenticator.authenticate(router.parse(presigned));
    authenticator.authenticate(router.parse(headerSigned));
  }

  @Benchmark
  public S3Operation route() {
    return S3Operation.of(router.parse(presigned));
  }

  @Benchmark
  public Authentication verifyPresigned() {
    return authenticator.authenticate(router.parse(presigned));
  }

  @Benchmark
  public Authentication verifyHeaderSigned() {
    return authenticator.authenticate(router.parse(headerSigned));
  }

  private static HttpRequest request(String target, Map<String, String> headers) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target);
    r.headers().set("Host", ENDPOINT.getHost() + ":" + ENDPOINT.getPort());
    headers.forEach((k, v) -> r.headers().add(k, v));
    return r;
  }

  /** A request head as {@link Signer} writes it (request line, then header lines). */
  private static HttpRequest parse(String head) {
    String[] lines = head.split("\r\n");
    String[] line = lines[0].split(" ");
    HttpRequest r =
        new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(line[0]), line[1]);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      r.headers().add(lines[i].substring(0, colon), lines[i].substring(colon + 1).trim());
    }
    return r;
  }
}
