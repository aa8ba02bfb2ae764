package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.site.Gateway;
import dev.leasehold.site.GetRequest;
import dev.leasehold.site.Preconditions;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;

/**
 * The bucket and object sub-resources whose configuration Leasehold does not keep, answered as AWS
 * answers a bucket that has none: {@code NoSuch…} for a configuration that was never set, 204 for
 * deleting one, and a 4xx for setting what a bucket without that feature refuses. What remains,
 * setting a configuration this site cannot honour, is 501 {@code NotImplemented}; answering it with
 * success would drop the caller's settings silently.
 *
 * <p>The bucket (and the object, for object sub-resources) must exist: the answers say something
 * about it, so a missing one is {@code NoSuchBucket} or {@code NoSuchKey}, read under the same
 * lease rules as a HEAD. Stateless beyond the gateway; thread-safe.
 */
final class Subresources {
  private static final int MAX_CONFIGURATION = 64 * 1024;

  private final Gateway gateway;

  Subresources(Gateway gateway) {
    this.gateway = gateway;
  }

  void serve(S3Operation op, S3Request request, Exchange exchange, Authentication auth)
      throws IOException {
    String bucket = request.bucket();
    if (bucket == null) {
      throw new IllegalStateException("a sub-resource without a bucket");
    }
    gateway.headBucket(bucket);
    String key = request.key();
    if (key != null) {
      gateway.head(GetRequest.whole(bucket, key, Preconditions.NONE));
    }
    switch (op) {
      case GET_BUCKET_REQUEST_PAYMENT ->
          Replies.xml(
              exchange,
              Xml.document("RequestPaymentConfiguration")
                  .element("Payer", "BucketOwner")
                  .close("RequestPaymentConfiguration"));
      case PUT_BUCKET_REQUEST_PAYMENT -> {
        byte[] body = Bodies.small(request, exchange, auth, MAX_CONFIGURATION);
        if (!XmlRequests.payer(body).equals("BucketOwner")) {
          throw notImplemented(op, "Requester Pays buckets are not implemented.");
        }
        Replies.empty(exchange, HttpResponseStatus.OK);
      }
      case GET_BUCKET_LOGGING ->
          Replies.xml(exchange, Xml.document("BucketLoggingStatus").close("BucketLoggingStatus"));
      case GET_BUCKET_NOTIFICATION ->
          Replies.xml(
              exchange,
              Xml.document("NotificationConfiguration").close("NotificationConfiguration"));
      case GET_BUCKET_ACCELERATE ->
          Replies.xml(
              exchange, Xml.document("AccelerateConfiguration").close("AccelerateConfiguration"));
      case LIST_BUCKET_ANALYTICS ->
          Replies.xml(exchange, emptyListing("ListBucketAnalyticsConfigurationResult"));
      case LIST_BUCKET_INVENTORY ->
          Replies.xml(exchange, emptyListing("ListInventoryConfigurationsResult"));
      case LIST_BUCKET_METRICS ->
          Replies.xml(exchange, emptyListing("ListMetricsConfigurationsResult"));
      case LIST_BUCKET_TIERING ->
          Replies.xml(exchange, emptyListing("ListBucketIntelligentTieringConfigurationsOutput"));
      case GET_BUCKET_LIFECYCLE -> throw S3Error.NO_SUCH_LIFECYCLE_CONFIGURATION.exception();
      case GET_BUCKET_ENCRYPTION ->
          throw S3Error.SERVER_SIDE_ENCRYPTION_CONFIGURATION_NOT_FOUND.exception();
      case GET_BUCKET_WEBSITE -> throw S3Error.NO_SUCH_WEBSITE_CONFIGURATION.exception();
      case GET_BUCKET_REPLICATION -> throw S3Error.REPLICATION_CONFIGURATION_NOT_FOUND.exception();
      case GET_BUCKET_ANALYTICS, GET_BUCKET_INVENTORY, GET_BUCKET_METRICS, GET_BUCKET_TIERING ->
          throw S3Error.NO_SUCH_CONFIGURATION.exception();
      case DELETE_BUCKET_LIFECYCLE,
          DELETE_BUCKET_ENCRYPTION,
          DELETE_BUCKET_WEBSITE,
          DELETE_BUCKET_REPLICATION,
          DELETE_BUCKET_ANALYTICS,
          DELETE_BUCKET_INVENTORY,
          DELETE_BUCKET_METRICS,
          DELETE_BUCKET_TIERING ->
          Replies.empty(exchange, HttpResponseStatus.NO_CONTENT); // nothing was set
      default -> throw notImplemented(op, null);
    }
  }

  private static Xml emptyListing(String root) {
    return Xml.document(root).element("IsTruncated", false).close(root);
  }

  private static S3Exception notImplemented(
      S3Operation op, @org.jspecify.annotations.Nullable String why) {
    return S3Error.NOT_IMPLEMENTED
        .exception(why != null ? why : op.awsName() + " is not implemented.")
        .with("Operation", op.awsName());
  }
}
