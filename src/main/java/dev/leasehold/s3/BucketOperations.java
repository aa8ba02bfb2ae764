package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.BucketInfo;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;

/**
 * ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation, and Get and
 * PutBucketVersioning (the origin's own). Stateless beyond the gateway; thread-safe.
 */
final class BucketOperations {
  private static final int MAX_CONFIGURATION = 64 * 1024;

  private final Gateway gateway;
  private final String region;
  private final AclOperations acls;
  private final ObjectLockOperations locks;
  private final String owner;

  BucketOperations(
      Gateway gateway,
      String region,
      String owner,
      AclOperations acls,
      ObjectLockOperations locks) {
    this.gateway = gateway;
    this.region = region;
    this.owner = owner;
    this.acls = acls;
    this.locks = locks;
  }

  /** The buckets, those in {@code scope} only. */
  void listBuckets(Exchange exchange, KeyScope scope) throws IOException {
    Xml xml = Xml.document("ListAllMyBucketsResult");
    xml.open("Owner").element("ID", owner).element("DisplayName", owner).close("Owner");
    xml.open("Buckets");
    for (BucketInfo b : gateway.listBuckets()) {
      if (!scope.covers(b.name())) {
        continue;
      }
      xml.open("Bucket")
          .element("Name", b.name())
          .element("CreationDate", b.creationDate())
          .element("BucketRegion", region)
          .close("Bucket");
    }
    xml.close("Buckets");
    Replies.xml(exchange, xml.close("ListAllMyBucketsResult"));
  }

  void create(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    Names.checkNewBucket(bucket);
    byte[] body =
        request.header("Content-Length") == null
                && request.header("x-amz-decoded-content-length") == null
            ? new byte[0]
            : Bodies.small(request, exchange, auth, MAX_CONFIGURATION);
    String location = XmlRequests.locationConstraint(body);
    if (location != null && !location.isEmpty() && !location.equals(region)) {
      throw S3Error.INVALID_LOCATION_CONSTRAINT
          .exception(
              "The specified location-constraint is not valid: this site serves region "
                  + region
                  + ".")
          .with("LocationConstraint", location);
    }
    dev.leasehold.object.Acl acl = acls.forNewBucket(request);
    gateway.createBucket(bucket);
    acls.created(bucket, request, acl);
    locks.created(bucket, request);
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set("Location", "/" + bucket);
    Replies.empty(exchange, HttpResponseStatus.OK, headers);
  }

  void delete(String bucket, Exchange exchange) throws IOException {
    gateway.deleteBucket(bucket);
    Replies.empty(exchange, HttpResponseStatus.NO_CONTENT);
  }

  void head(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set("x-amz-bucket-region", region);
    Replies.empty(exchange, HttpResponseStatus.OK, headers);
  }

  void location(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    String constraint = region.equals("us-east-1") ? "" : region;
    Replies.xml(
        exchange, Xml.document("LocationConstraint").text(constraint).close("LocationConstraint"));
  }

  /** GetBucketVersioning: the origin's status; no Status element if it never kept versions. */
  void versioning(String bucket, Exchange exchange) throws IOException {
    String status = gateway.versioning(bucket);
    Xml xml = Xml.document("VersioningConfiguration");
    if (status != null) {
      xml.element("Status", status);
    }
    Replies.xml(exchange, xml.close("VersioningConfiguration"));
  }

  /** PutBucketVersioning: {@code Enabled} or {@code Suspended}; MFA delete is not offered. */
  void setVersioning(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    XmlRequests.Versioning config =
        XmlRequests.versioning(Bodies.small(request, exchange, auth, MAX_CONFIGURATION));
    if ("Enabled".equals(config.mfaDelete())) {
      throw S3Error.NOT_IMPLEMENTED.exception("MFA delete is not supported.");
    }
    if (config.status() == null) {
      gateway.headBucket(bucket); // nothing to change
    } else {
      gateway.setVersioning(bucket, config.status().equals("Enabled"));
    }
    Replies.empty(exchange, HttpResponseStatus.OK);
  }
}
