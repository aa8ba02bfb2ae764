package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.error.WouldWait;
import dev.leasehold.site.Gateway;
import dev.leasehold.site.NotModifiedException;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.io.IOException;
import java.time.Clock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Serves one request on its virtual thread: finds the bucket and key ({@link Router}), checks the
 * signature ({@link Authenticator}), picks the S3 operation from the method and query, and runs it;
 * any failure becomes the S3 error response, rendered in one place.
 *
 * <p>Thread-safe; each call works on its own exchange.
 */
public final class S3Service {
  private static final Logger LOG = LoggerFactory.getLogger(S3Service.class);

  /** Reads W3C trace context from request headers. */
  private static final TextMapGetter<HttpHeaders> HEADERS =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
          return carrier.names();
        }

        @Override
        public @Nullable String get(@Nullable HttpHeaders carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final Router router;
  private final Authenticator authenticator;
  private final BucketOperations buckets;
  private final ObjectOperations objects;
  private final ListOperations lists;
  private final MultipartOperations multipart;
  private final Subresources subresources;
  private final CorsOperations cors;
  private final AclOperations acls;
  private final ObjectLockOperations locks;
  private final PolicyOperations policies;
  private final Authorization authorization;
  private final TagOperations tags;
  private final PostObjectOperations posts;
  private final Gateway gateway;
  private final String owner;
  private final S3Metrics metrics;
  private final String site;
  private final OpenTelemetry telemetry;
  private final Tracer tracer;

  /**
   * @param site this site's name, in every log line of a request
   * @param telemetry where request spans go (a span per request, child of the client's W3C trace
   *     context if it sent one)
   */
  public S3Service(
      String site,
      Gateway gateway,
      S3Settings settings,
      Clock clock,
      MeterRegistry meters,
      OpenTelemetry telemetry) {
    this.site = site;
    this.telemetry = telemetry;
    this.tracer = telemetry.getTracer("dev.leasehold.s3");
    this.metrics = new S3Metrics(meters);
    String owner = settings.credentials().accessKey();
    this.router = new Router(settings.domains());
    this.authenticator =
        new Authenticator(
            settings.credentials(),
            settings.otherKeys(),
            settings.region(),
            settings.maxClockSkew(),
            clock);
    this.policies = new PolicyOperations(gateway);
    this.acls = new AclOperations(gateway, owner, settings.otherKeys(), policies);
    this.locks = new ObjectLockOperations(gateway, clock);
    this.buckets = new BucketOperations(gateway, settings.region(), owner, acls, locks);
    WriteMetadata writes = new WriteMetadata(acls, locks);
    this.objects = new ObjectOperations(gateway, writes);
    this.lists = new ListOperations(gateway, owner);
    this.multipart = new MultipartOperations(gateway, owner, writes);
    this.subresources = new Subresources(gateway);
    this.cors = new CorsOperations(gateway);
    this.tags = new TagOperations(gateway);
    this.posts = new PostObjectOperations(gateway, authenticator, clock, writes);
    this.authorization = new Authorization(gateway, policies, acls, owner);
    this.gateway = gateway;
    this.owner = owner;
  }

  /** Serves the request on its own (virtual) thread, which may wait. */
  void serve(Exchange exchange) {
    handle(exchange);
  }

  /**
   * On the connection's event loop (docs/design.md, Hits on the event loop): serves a GetObject or
   * HeadObject here if nothing on its way waits, and returns true; else returns false having sent
   * nothing, and the request is to be {@link #serve served} on a thread of its own, from the start.
   * The request is the same either way: its signature, policy, lease and errors are decided by the
   * same code; only where it runs differs.
   */
  boolean serveHere(Exchange exchange) {
    boolean served = WouldWait.attempt(() -> handle(exchange));
    metrics.triedHere(served);
    return served;
  }

  private void handle(Exchange exchange) {
    Exchange.Trace trace = exchange.trace();
    if (trace == null) {
      trace = new Exchange.Trace(System.nanoTime(), startSpan(exchange));
      exchange.trace(trace);
    }
    long started = trace.started();
    Span span = trace.span();
    String resource = "/";
    String operation = S3Operation.NONE;
    String accessKey = "-";
    boolean handedOver = false;
    MDC.put("site", site);
    MDC.put("request", exchange.requestId());
    if (span.getSpanContext().isValid()) {
      MDC.put("trace", span.getSpanContext().getTraceId());
    }
    try (Scope scope = span.makeCurrent()) {
      S3Request request = router.parse(exchange.request());
      resource = request.resource();
      S3Operation op = null;
      S3Exception notAnOperation = null;
      try {
        op = S3Operation.of(request);
        operation = op.awsName();
      } catch (S3Exception e) {
        notAnOperation = e; // answered after the signature is checked, as any other error
      }
      if (op != S3Operation.GET_OBJECT && op != S3Operation.HEAD_OBJECT) {
        WouldWait.check(); // only reads of objects are tried on the event loop
      }
      if (op == S3Operation.PREFLIGHT) {
        gateway.checkBucketUnsigned(required(request.bucket())); // browsers sign none
        cors.preflight(request, required(request.bucket()), exchange);
        return;
      }
      Authentication auth = authenticator.authenticate(request);
      accessKey = auth.accessKey();
      if (auth.anonymous() && request.bucket() != null) {
        gateway.checkBucketUnsigned(request.bucket());
      }
      if (op == null) {
        throw notAnOperation != null ? notAnOperation : S3Error.INTERNAL_ERROR.exception();
      }
      authorization.authorize(auth, op, request, exchange);
      checkExpectedOwners(request);
      cors.decorate(request, request.bucket(), exchange);
      if (op.subresource()) {
        subresources.serve(op, request, exchange, auth);
      } else {
        dispatch(op, request, exchange, auth);
      }
    } catch (WouldWait w) {
      handedOver = true;
      exchange.handOver();
      throw w;
    } catch (NotModifiedException e) {
      respond304(exchange, e);
    } catch (S3Exception e) {
      LOG.debug(
          "request {} {} {}: {} {} {}",
          exchange.requestId(),
          exchange.request().method(),
          exchange.request().uri(),
          e.error().code(),
          e.getMessage(),
          e.details(),
          e.getCause());
      respondError(exchange, resource, e);
    } catch (IOException e) {
      LOG.debug("request {}: client connection failed", exchange.requestId(), e);
    } catch (RuntimeException | Error e) {
      LOG.error("request {} failed unexpectedly", exchange.requestId(), e);
      respondError(exchange, resource, S3Error.INTERNAL_ERROR.exception());
    } finally {
      if (!handedOver) { // else the request goes on elsewhere, in the same span
        ended(exchange, span, operation, accessKey, System.nanoTime() - started);
      }
      MDC.clear();
    }
  }

  /** What every request leaves, once it is answered: its metrics, its span and its log line. */
  private void ended(Exchange exchange, Span span, String operation, String accessKey, long nanos) {
    if (!exchange.finished()) {
      exchange.abort();
    }
    metrics.record(operation, exchange.status(), nanos);
    span.updateName(operation);
    span.setAttribute("http.response.status_code", (long) exchange.status());
    if (exchange.status() >= 500 || exchange.status() == 0) {
      span.setStatus(StatusCode.ERROR);
    }
    span.end();
    AccessLog.write(exchange, accessKey, operation, nanos);
  }

  /** A span for the request, the child of the client's W3C trace context if it sent one. */
  private Span startSpan(Exchange exchange) {
    Context parent =
        telemetry
            .getPropagators()
            .getTextMapPropagator()
            .extract(Context.root(), exchange.request().headers(), HEADERS);
    return tracer
        .spanBuilder("S3 request")
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute("http.request.method", exchange.request().method().name())
        .setAttribute("leasehold.request_id", exchange.requestId())
        .startSpan();
  }

  /**
   * {@code x-amz-expected-bucket-owner} (and {@code x-amz-source-expected-bucket-owner} on a copy)
   * names the account the caller expects to own the bucket: every bucket here is the owner's, whose
   * id is the owner's access key (as ListBuckets gives it). Anyone else is 403 AccessDenied, as AWS
   * answers a bucket owned by another account.
   */
  private void checkExpectedOwners(S3Request request) {
    for (String header :
        new String[] {"x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"}) {
      String expected = request.header(header);
      if (expected != null && !expected.equals(owner)) {
        throw S3Error.ACCESS_DENIED.exception().with("ExpectedBucketOwner", expected);
      }
    }
  }

  private void dispatch(
      S3Operation operation, S3Request request, Exchange exchange, Authentication auth)
      throws IOException {
    String bucket = request.bucket();
    String key = request.key();
    switch (operation) {
      case LIST_BUCKETS -> buckets.listBuckets(exchange, auth.keyScope());
      case GET_BUCKET_LOCATION -> buckets.location(required(bucket), exchange);
      case GET_BUCKET_VERSIONING -> buckets.versioning(required(bucket), exchange);
      case GET_BUCKET_ACL -> acls.getBucketAcl(required(bucket), exchange);
      case PUT_BUCKET_ACL -> acls.putBucketAcl(request, required(bucket), exchange, auth);
      case GET_OBJECT_ACL -> acls.getObjectAcl(request, required(bucket), required(key), exchange);
      case PUT_OBJECT_ACL ->
          acls.putObjectAcl(request, required(bucket), required(key), exchange, auth);
      case GET_BUCKET_OWNERSHIP_CONTROLS -> acls.getOwnership(required(bucket), exchange);
      case PUT_BUCKET_OWNERSHIP_CONTROLS ->
          acls.putOwnership(request, required(bucket), exchange, auth);
      case DELETE_BUCKET_OWNERSHIP_CONTROLS -> acls.deleteOwnership(required(bucket), exchange);
      case GET_OBJECT_TAGGING -> tags.getObject(request, required(bucket), required(key), exchange);
      case PUT_OBJECT_TAGGING ->
          tags.putObject(request, required(bucket), required(key), exchange, auth);
      case DELETE_OBJECT_TAGGING ->
          tags.deleteObject(request, required(bucket), required(key), exchange);
      case GET_OBJECT_LOCK_CONFIGURATION -> locks.getConfiguration(required(bucket), exchange);
      case PUT_OBJECT_LOCK_CONFIGURATION ->
          locks.putConfiguration(request, required(bucket), exchange, auth);
      case GET_OBJECT_RETENTION ->
          locks.getRetention(request, required(bucket), required(key), exchange);
      case PUT_OBJECT_RETENTION ->
          locks.putRetention(request, required(bucket), required(key), exchange, auth);
      case GET_OBJECT_LEGAL_HOLD ->
          locks.getLegalHold(request, required(bucket), required(key), exchange);
      case PUT_OBJECT_LEGAL_HOLD ->
          locks.putLegalHold(request, required(bucket), required(key), exchange, auth);
      case PUT_BUCKET_VERSIONING ->
          buckets.setVersioning(request, required(bucket), exchange, auth);
      case LIST_MULTIPART_UPLOADS -> multipart.listUploads(request, required(bucket), exchange);
      case LIST_OBJECT_VERSIONS -> lists.listVersions(request, required(bucket), exchange);
      case LIST_OBJECTS_V2 -> lists.listV2(request, required(bucket), exchange);
      case LIST_OBJECTS -> lists.listV1(request, required(bucket), exchange);
      case CREATE_BUCKET -> buckets.create(request, required(bucket), exchange, auth);
      case DELETE_BUCKET -> buckets.delete(required(bucket), exchange);
      case HEAD_BUCKET -> buckets.head(required(bucket), exchange);
      case DELETE_OBJECTS ->
          objects.deleteObjects(
              request,
              required(bucket),
              exchange,
              auth,
              (k, v) -> authorization.mayDelete(auth, required(bucket), k, v, request, exchange));
      case LIST_PARTS -> multipart.listParts(request, required(bucket), required(key), exchange);
      case GET_OBJECT -> objects.get(request, required(bucket), required(key), exchange, false);
      case HEAD_OBJECT -> objects.get(request, required(bucket), required(key), exchange, true);
      case POST_OBJECT ->
          posts.post(
              request,
              required(bucket),
              exchange,
              (signer, put) ->
                  authorization.authorize(signer, S3Operation.PUT_OBJECT, put, exchange));
      case GET_BUCKET_CORS -> cors.get(required(bucket), exchange);
      case GET_BUCKET_POLICY -> policies.get(required(bucket), exchange);
      case PUT_BUCKET_POLICY -> policies.put(request, required(bucket), exchange, auth);
      case DELETE_BUCKET_POLICY -> policies.delete(required(bucket), exchange);
      case GET_BUCKET_POLICY_STATUS -> policies.status(required(bucket), exchange);
      case GET_PUBLIC_ACCESS_BLOCK -> policies.getAccessBlock(required(bucket), exchange);
      case PUT_PUBLIC_ACCESS_BLOCK ->
          policies.putAccessBlock(request, required(bucket), exchange, auth);
      case DELETE_PUBLIC_ACCESS_BLOCK -> policies.deleteAccessBlock(required(bucket), exchange);
      case GET_BUCKET_TAGGING -> tags.get(required(bucket), exchange);
      case PUT_BUCKET_TAGGING -> tags.put(request, required(bucket), exchange, auth);
      case DELETE_BUCKET_TAGGING -> tags.delete(required(bucket), exchange);
      case PUT_BUCKET_CORS -> cors.put(request, required(bucket), exchange, auth);
      case DELETE_BUCKET_CORS -> cors.delete(required(bucket), exchange);
      case GET_OBJECT_ATTRIBUTES ->
          objects.attributes(request, required(bucket), required(key), exchange);
      case UPLOAD_PART ->
          multipart.uploadPart(request, required(bucket), required(key), exchange, auth);
      case PUT_OBJECT -> objects.put(request, required(bucket), required(key), exchange, auth);
      case ABORT_MULTIPART_UPLOAD ->
          multipart.abort(request, required(bucket), required(key), exchange);
      case DELETE_OBJECT -> objects.delete(request, required(bucket), required(key), exchange);
      case CREATE_MULTIPART_UPLOAD ->
          multipart.create(request, required(bucket), required(key), exchange);
      case COMPLETE_MULTIPART_UPLOAD ->
          multipart.complete(request, required(bucket), required(key), exchange, auth);
      default -> throw new IllegalStateException(operation + " is a sub-resource operation");
    }
  }

  /** A bucket or key the operation's classification guarantees is there. */
  private static String required(@Nullable String name) {
    if (name == null) {
      throw new IllegalStateException("classified without a bucket or key");
    }
    return name;
  }

  private static void respond304(Exchange exchange, NotModifiedException e) {
    if (exchange.headersSent()) {
      exchange.abort();
      return;
    }
    HttpHeaders headers = new DefaultHttpHeaders();
    ObjectHeaders.validators(headers, e.version());
    try {
      Replies.empty(exchange, HttpResponseStatus.NOT_MODIFIED, headers);
    } catch (IOException io) {
      LOG.debug("request {}: client connection failed", exchange.requestId(), io);
    }
  }

  private static void respondError(Exchange exchange, String resource, S3Exception e) {
    if (exchange.headersSent()) {
      exchange.abort();
      return;
    }
    try {
      Replies.error(exchange, resource, e);
    } catch (IOException io) {
      LOG.debug("request {}: client connection failed", exchange.requestId(), io);
    }
  }
}
