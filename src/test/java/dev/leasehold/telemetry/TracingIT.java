package dev.leasehold.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.leasehold.cli.Setting;
import dev.leasehold.testkit.Data;
import dev.leasehold.testkit.LocalCluster;
import dev.leasehold.testkit.OtlpReceiver;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Tracing to an OTLP/HTTP receiver on loopback: a GET that carries a W3C {@code traceparent} is a
 * server span in the client's trace, with the lease acquisition, the coordinator's grant (the trace
 * context crossed gRPC) and the origin fetch as its descendants.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TracingIT {
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String CLIENT_SPAN = "00f067aa0ba902b7";

  @Test
  void aRequestIsOneTraceAcrossSiteCoordinatorAndOrigin() throws Exception {
    try (OtlpReceiver receiver = new OtlpReceiver();
        LocalCluster cluster =
            LocalCluster.builder()
                .sites(1)
                .coordinators(0) // the embedded coordinator, traced by the site
                .set(Setting.OTLP_ENDPOINT, receiver.endpoint().toString())
                .start();
        S3Client s3 = cluster.client(0)) {
      String bucket = Data.bucket(s3);
      cluster
          .backdoor()
          .put(
              bucket,
              "k",
              dev.leasehold.testkit.Payloads.of("traced"),
              dev.leasehold.object.ObjectMetadata.EMPTY,
              dev.leasehold.object.WriteCondition.NONE);
      s3.getObjectAsBytes(g ->
          g.bucket(bucket)
              .key("k")
              .overrideConfiguration(
                  o -> o.putHeader("traceparent", "00-" + TRACE + "-" + CLIENT_SPAN + "-01")));

      // Every span asserted below, each exported in its own time.
      List<String> expected =
          List.of(
              "GetObject",
              "lease acquire read",
              "coordinator acquire read",
              "origin head",
              "origin read");
      long deadline = System.nanoTime() + 15_000_000_000L;
      List<Span> trace = List.of();
      while (System.nanoTime() - deadline < 0) {
        trace = receiver.spans().stream().filter(s -> hex(s.getTraceId()).equals(TRACE)).toList();
        List<Span> received = trace;
        if (expected.stream().allMatch(name -> named(received, name).isPresent())) {
          break;
        }
        Thread.sleep(100);
      }
      List<Span> spans = trace;
      Span request = named(spans, "GetObject").orElseThrow(() -> new AssertionError(spans));
      assertThat(hex(request.getParentSpanId())).isEqualTo(CLIENT_SPAN);
      assertThat(request.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
      Span lease = named(spans, "lease acquire read").orElseThrow(() -> new AssertionError(spans));
      assertThat(lease.getParentSpanId()).isEqualTo(request.getSpanId());
      Span grant =
          named(spans, "coordinator acquire read").orElseThrow(() -> new AssertionError(spans));
      assertThat(grant.getParentSpanId()).isEqualTo(lease.getSpanId()); // across gRPC
      Span head = named(spans, "origin head").orElseThrow(() -> new AssertionError(spans));
      assertThat(head.getParentSpanId()).isEqualTo(request.getSpanId());
      Span fetch = named(spans, "origin read").orElseThrow(() -> new AssertionError(spans));
      assertThat(fetch.getParentSpanId()).isEqualTo(request.getSpanId()); // from a loader thread
    }
  }

  static Optional<Span> named(List<Span> spans, String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).findFirst();
  }

  static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }
}
