package dev.leasehold.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A process's tracing: OpenTelemetry with W3C trace context, spans exported over OTLP/HTTP when an
 * endpoint is configured, and the no-op implementation otherwise (no spans are recorded: it costs
 * nothing). Components take the {@link OpenTelemetry} and make their own tracers.
 *
 * <p>Thread-safe; closing flushes the spans not yet exported.
 */
public final class Tracing implements AutoCloseable {
  private final OpenTelemetry openTelemetry;
  private final @Nullable OpenTelemetrySdk sdk;

  private Tracing(OpenTelemetry openTelemetry, @Nullable OpenTelemetrySdk sdk) {
    this.openTelemetry = openTelemetry;
    this.sdk = sdk;
  }

  /** No tracing. */
  public static Tracing off() {
    return new Tracing(
        OpenTelemetry.propagating(
            ContextPropagators.create(W3CTraceContextPropagator.getInstance())),
        null);
  }

  /**
   * Tracing exported to the OTLP/HTTP collector at {@code endpoint} (such as {@code
   * http://collector:4318}); off if it is empty.
   *
   * @param instance this process in the traces: a site's name, or a coordinator peer's id
   */
  public static Tracing of(String endpoint, String instance) {
    if (endpoint.isBlank()) {
      return off();
    }
    String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    OtlpHttpSpanExporter exporter =
        OtlpHttpSpanExporter.builder().setEndpoint(base + "/v1/traces").build();
    SdkTracerProvider tracers =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(
                                AttributeKey.stringKey("service.name"),
                                "leasehold",
                                AttributeKey.stringKey("service.instance.id"),
                                instance))))
            .addSpanProcessor(
                BatchSpanProcessor.builder(exporter)
                    .setScheduleDelay(Duration.ofMillis(500))
                    .build())
            .build();
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(tracers)
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    return new Tracing(sdk, sdk);
  }

  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  @Override
  public void close() {
    if (sdk != null) {
      sdk.close();
    }
  }
}
