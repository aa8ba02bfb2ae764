package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.Map;

/**
 * PutBucketTagging, GetBucketTagging and DeleteBucketTagging: a bucket's tags, kept at the
 * coordinator for every site ({@link Gateway#bucketSetting}) as the TagSet document they answer
 * with. Stateless beyond the gateway; thread-safe.
 */
final class TagOperations {
  static final String KIND = "tagging";
  private static final int MAX_TAGS = 50;
  private static final int MAX_DOCUMENT = 64 * 1024;

  private final Gateway gateway;
  private final BucketDocument<byte[]> tags;

  TagOperations(Gateway gateway) {
    this.gateway = gateway;
    this.tags =
        new BucketDocument<>(
            gateway, KIND, S3Error.NO_SUCH_TAG_SET, "application/xml", (b, d) -> d);
  }

  void put(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    Map<String, String> given =
        XmlRequests.tagging(Bodies.small(request, exchange, auth, MAX_DOCUMENT), MAX_TAGS);
    Xml xml = Xml.document("Tagging").open("TagSet");
    given.forEach((k, v) -> xml.open("Tag").element("Key", k).element("Value", v).close("Tag"));
    tags.put(
        bucket,
        xml.close("TagSet").close("Tagging").bytes(),
        exchange,
        HttpResponseStatus.NO_CONTENT);
  }

  void get(String bucket, Exchange exchange) throws IOException {
    tags.get(bucket, exchange);
  }

  void delete(String bucket, Exchange exchange) throws IOException {
    tags.delete(bucket, exchange);
  }
}
