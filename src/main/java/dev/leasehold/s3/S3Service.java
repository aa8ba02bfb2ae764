package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.site.Gateway;
import dev.leasehold.site.NotModifiedException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.time.Clock;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one request on its virtual thread: finds the bucket and key ({@link Router}), checks the
 * signature ({@link Authenticator}), picks the S3 operation from the method and query, and runs it;
 * any failure becomes the S3 error response, rendered in one place.
 *
 * <p>Thread-safe; each call works on its own exchange.
 */
public final class S3Service {
  private static final Logger LOG = LoggerFactory.getLogger(S3Service.class);

  /** S3 sub-resources Leasehold does not implement: answered NotImplemented. */
  private static final Set<String> UNSUPPORTED =
      Set.of(
          "accelerate",
          "acl",
          "analytics",
          "attributes",
          "cors",
          "encryption",
          "intelligent-tiering",
          "inventory",
          "legal-hold",
          "lifecycle",
          "logging",
          "metadataTable",
          "metrics",
          "notification",
          "object-lock",
          "ownershipControls",
          "policy",
          "policyStatus",
          "publicAccessBlock",
          "replication",
          "requestPayment",
          "restore",
          "retention",
          "select",
          "session",
          "tagging",
          "torrent",
          "website",
          "renameObject");

  private final Router router;
  private final Authenticator authenticator;
  private final BucketOperations buckets;
  private final ObjectOperations objects;
  private final ListOperations lists;
  private final MultipartOperations multipart;

  public S3Service(Gateway gateway, S3Settings settings, Clock clock) {
    String owner = settings.credentials().accessKey();
    this.router = new Router(settings.domains());
    this.authenticator =
        new Authenticator(
            settings.credentials(), settings.region(), settings.maxClockSkew(), clock);
    this.buckets = new BucketOperations(gateway, settings.region(), owner);
    this.objects = new ObjectOperations(gateway);
    this.lists = new ListOperations(gateway, owner);
    this.multipart = new MultipartOperations(gateway, owner);
  }

  void serve(Exchange exchange) {
    String resource = "/";
    try {
      S3Request request = router.parse(exchange.request());
      resource = request.resource();
      Authentication auth = authenticator.authenticate(request);
      dispatch(request, exchange, auth);
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
      if (!exchange.finished()) {
        exchange.abort();
      }
    }
  }

  private void dispatch(S3Request request, Exchange exchange, Authentication auth)
      throws IOException {
    for (var param : request.query()) {
      if (UNSUPPORTED.contains(param.getKey())) {
        throw S3Error.NOT_IMPLEMENTED
            .exception("The " + param.getKey() + " sub-resource is not implemented.")
            .with("Subresource", param.getKey());
      }
    }
    HttpMethod method = request.method();
    String bucket = request.bucket();
    String key = request.key();
    if (bucket == null) {
      if (method.equals(HttpMethod.GET)) {
        buckets.listBuckets(exchange);
        return;
      }
      throw notAllowed(method);
    }
    if (key == null) {
      bucketOperation(request, bucket, exchange, auth);
    } else {
      objectOperation(request, bucket, key, exchange, auth);
    }
  }

  private void bucketOperation(
      S3Request request, String bucket, Exchange exchange, Authentication auth) throws IOException {
    HttpMethod method = request.method();
    if (method.equals(HttpMethod.GET)) {
      if (request.has("location")) {
        buckets.location(bucket, exchange);
      } else if (request.has("versioning")) {
        buckets.versioning(bucket, exchange);
      } else if (request.has("uploads")) {
        multipart.listUploads(request, bucket, exchange);
      } else if (request.has("versions")) {
        lists.listVersions(request, bucket, exchange);
      } else if ("2".equals(request.param("list-type"))) {
        lists.listV2(request, bucket, exchange);
      } else {
        lists.listV1(request, bucket, exchange);
      }
    } else if (method.equals(HttpMethod.PUT)) {
      if (request.has("versioning")) {
        throw S3Error.NOT_IMPLEMENTED.exception("Bucket versioning is not implemented.");
      }
      buckets.create(request, bucket, exchange, auth);
    } else if (method.equals(HttpMethod.DELETE)) {
      buckets.delete(bucket, exchange);
    } else if (method.equals(HttpMethod.HEAD)) {
      buckets.head(bucket, exchange);
    } else if (method.equals(HttpMethod.POST) && request.has("delete")) {
      objects.deleteObjects(request, bucket, exchange, auth);
    } else {
      throw notAllowed(method);
    }
  }

  private void objectOperation(
      S3Request request, String bucket, String key, Exchange exchange, Authentication auth)
      throws IOException {
    HttpMethod method = request.method();
    boolean upload = request.has("uploadId");
    if (method.equals(HttpMethod.GET)) {
      if (upload) {
        multipart.listParts(request, bucket, key, exchange);
      } else {
        objects.get(request, bucket, key, exchange, false);
      }
    } else if (method.equals(HttpMethod.HEAD)) {
      objects.get(request, bucket, key, exchange, true);
    } else if (method.equals(HttpMethod.PUT)) {
      if (upload || request.has("partNumber")) {
        multipart.uploadPart(request, bucket, key, exchange, auth);
      } else {
        objects.put(request, bucket, key, exchange, auth);
      }
    } else if (method.equals(HttpMethod.DELETE)) {
      if (upload) {
        multipart.abort(request, bucket, key, exchange);
      } else {
        objects.delete(request, bucket, key, exchange);
      }
    } else if (method.equals(HttpMethod.POST)) {
      if (request.has("uploads")) {
        multipart.create(request, bucket, key, exchange);
      } else if (upload) {
        multipart.complete(request, bucket, key, exchange, auth);
      } else {
        throw notAllowed(method);
      }
    } else {
      throw notAllowed(method);
    }
  }

  private static S3Exception notAllowed(HttpMethod method) {
    return S3Error.METHOD_NOT_ALLOWED
        .exception()
        .with("Method", method.name())
        .with("ResourceType", "OBJECT");
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
