package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.ObjectTags;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.Map;

/**
 * Tags. PutBucketTagging, GetBucketTagging and DeleteBucketTagging: a bucket's tags, kept at the
 * coordinator for every site ({@link Gateway#bucketSetting}) as the TagSet document they answer
 * with. Put, Get and DeleteObjectTagging and {@code x-amz-tagging} on writes: an object's tags,
 * kept with its version among its metadata ({@link ObjectTags#METADATA_NAME}) and changed under its
 * WRITE lease like its ACL. Stateless beyond the gateway; thread-safe.
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

  // ---- an object's tags

  /**
   * The metadata an object write stores: {@code metadata} with the tags {@code x-amz-tagging} asks
   * for (URL-encoded {@code key=value} pairs; a POST form may give a Tagging document instead), or
   * none. {@code InvalidTag} for tags S3 would refuse.
   */
  static ObjectMetadata withRequested(S3Request request, ObjectMetadata metadata) {
    String header = request.header("x-amz-tagging");
    if (header == null) {
      return ObjectTags.into(metadata, ObjectTags.NONE);
    }
    ObjectTags tags;
    try {
      tags =
          header.trim().startsWith("<")
              ? ObjectTags.checked(
                  XmlRequests.tagging(
                      header.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                      ObjectTags.MAX_TAGS))
              : ObjectTags.decode(header);
    } catch (IllegalArgumentException e) {
      throw S3Error.INVALID_TAG.exception(String.valueOf(e.getMessage()));
    }
    return ObjectTags.into(metadata, tags);
  }

  /** {@code x-amz-tagging-count} on a GET or HEAD of a version with tags. */
  static void describe(HttpHeaders headers, ObjectInfo info) {
    int count = ObjectTags.of(info.metadata()).tags().size();
    if (count > 0) {
      headers.set("x-amz-tagging-count", count);
    }
  }

  void getObject(S3Request request, String bucket, String key, Exchange exchange)
      throws IOException {
    ObjectInfo info =
        ObjectOperations.head(gateway, bucket, key, ObjectOperations.versionId(request));
    Xml xml = Xml.document("Tagging").open("TagSet");
    ObjectTags.of(info.metadata())
        .tags()
        .forEach((k, v) -> xml.open("Tag").element("Key", k).element("Value", v).close("Tag"));
    HttpHeaders headers = new DefaultHttpHeaders();
    ObjectHeaders.version(headers, info);
    Replies.xml(exchange, HttpResponseStatus.OK, headers, xml.close("TagSet").close("Tagging"));
  }

  void putObject(
      S3Request request, String bucket, String key, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    ObjectTags tags;
    try {
      tags =
          ObjectTags.checked(
              XmlRequests.tagging(
                  Bodies.small(request, exchange, auth, MAX_DOCUMENT), ObjectTags.MAX_TAGS));
    } catch (IllegalArgumentException e) {
      throw S3Error.INVALID_TAG.exception(String.valueOf(e.getMessage()));
    }
    ObjectInfo info =
        gateway.setObjectEntry(
            bucket,
            key,
            ObjectOperations.versionId(request),
            ObjectTags.METADATA_NAME,
            tags.tags().isEmpty() ? null : tags.encoded());
    HttpHeaders headers = new DefaultHttpHeaders();
    ObjectHeaders.version(headers, info);
    Replies.empty(exchange, HttpResponseStatus.OK, headers);
  }

  void deleteObject(S3Request request, String bucket, String key, Exchange exchange)
      throws IOException {
    gateway.headBucket(bucket);
    ObjectInfo info =
        gateway.setObjectEntry(
            bucket, key, ObjectOperations.versionId(request), ObjectTags.METADATA_NAME, null);
    HttpHeaders headers = new DefaultHttpHeaders();
    ObjectHeaders.version(headers, info);
    Replies.empty(exchange, HttpResponseStatus.NO_CONTENT, headers);
  }
}
