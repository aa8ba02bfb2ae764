package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.Checksum;
import dev.leasehold.object.CompletedPart;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.PartInfo;
import dev.leasehold.object.PartListing;
import dev.leasehold.object.UploadInfo;
import dev.leasehold.object.UploadListRequest;
import dev.leasehold.object.UploadListing;
import dev.leasehold.site.ByteRange;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
 * ListParts and ListMultipartUploads. Stateless beyond the gateway; thread-safe.
 */
final class MultipartOperations {
  private static final int MAX_COMPLETE_BODY = 4 * 1024 * 1024;
  private static final Pattern COPY_RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

  private final Gateway gateway;
  private final WriteMetadata writes;
  private final String owner;

  MultipartOperations(Gateway gateway, String owner, WriteMetadata writes) {
    this.gateway = gateway;
    this.owner = owner;
    this.writes = writes;
  }

  void create(S3Request request, String bucket, String key, Exchange exchange) throws IOException {
    ObjectHeaders.refuseUnsupported(request);
    String uploadId = gateway.createUpload(bucket, key, writes.of(request, bucket));
    Xml xml =
        Xml.document("InitiateMultipartUploadResult")
            .element("Bucket", bucket)
            .element("Key", key)
            .element("UploadId", uploadId)
            .close("InitiateMultipartUploadResult");
    Replies.xml(exchange, xml);
  }

  void uploadPart(
      S3Request request, String bucket, String key, Exchange exchange, Authentication auth)
      throws IOException {
    String uploadId = uploadId(request);
    int partNumber = requiredPartNumber(request);
    if (request.header("x-amz-copy-source") != null) {
      uploadPartCopy(request, bucket, key, uploadId, partNumber, exchange);
      return;
    }
    dev.leasehold.site.Upload body = Bodies.upload(request, exchange, auth);
    PartInfo part = gateway.uploadPart(bucket, key, uploadId, partNumber, body);
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.ETAG, '"' + part.etag() + '"');
    // The part was checked against it here, whether or not the origin keeps it.
    Checksum checksum = part.checksum() != null ? part.checksum() : body.checksum().get();
    if (checksum != null) {
      headers.set(checksum.header(), checksum.value());
    }
    Replies.empty(exchange, HttpResponseStatus.OK, headers);
  }

  private void uploadPartCopy(
      S3Request request,
      String bucket,
      String key,
      String uploadId,
      int partNumber,
      Exchange exchange)
      throws IOException {
    ByteRange range = null;
    String header = request.header("x-amz-copy-source-range");
    if (header != null) {
      Matcher m = COPY_RANGE.matcher(header.trim());
      if (!m.matches()) {
        throw S3Error.INVALID_ARGUMENT
            .exception(
                "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
            .with("ArgumentName", "x-amz-copy-source-range")
            .with("ArgumentValue", header);
      }
      long first = Long.parseLong(m.group(1));
      long last = Long.parseLong(m.group(2));
      if (last < first) {
        throw S3Error.INVALID_ARGUMENT
            .exception(
                "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
            .with("ArgumentName", "x-amz-copy-source-range")
            .with("ArgumentValue", header);
      }
      range = new ByteRange(first, last, 0);
    }
    dev.leasehold.site.CopySource source = ObjectOperations.copySource(request, range);
    PartInfo part = gateway.uploadPartCopy(bucket, key, uploadId, partNumber, source);
    Xml xml =
        Xml.document("CopyPartResult")
            .element("LastModified", part.lastModified())
            .element("ETag", '"' + part.etag() + '"')
            .close("CopyPartResult");
    String sourceVersion = source.versionId();
    io.netty.handler.codec.http.HttpHeaders headers =
        new io.netty.handler.codec.http.DefaultHttpHeaders();
    if (sourceVersion != null) {
      headers.set("x-amz-copy-source-version-id", sourceVersion);
    }
    Replies.xml(exchange, HttpResponseStatus.OK, headers, xml);
  }

  void complete(
      S3Request request, String bucket, String key, Exchange exchange, Authentication auth)
      throws IOException {
    String uploadId = uploadId(request);
    List<CompletedPart> parts =
        XmlRequests.completeMultipartUpload(
            Bodies.small(request, exchange, auth, MAX_COMPLETE_BODY));
    int previous = 0;
    for (CompletedPart p : parts) {
      if (p.partNumber() <= previous) {
        throw S3Error.INVALID_PART_ORDER.exception();
      }
      previous = p.partNumber();
      if (p.partNumber() < 1 || p.partNumber() > 10000) {
        throw S3Error.INVALID_ARGUMENT
            .exception("Part number must be an integer between 1 and 10000, inclusive")
            .with("ArgumentName", "partNumber")
            .with("ArgumentValue", Integer.toString(p.partNumber()));
      }
    }
    ObjectInfo stored =
        gateway.completeUpload(
            bucket, key, uploadId, parts, ObjectHeaders.writeCondition(request), composite(parts));
    String host = request.header(HttpHeaderNames.HOST);
    Xml xml =
        Xml.document("CompleteMultipartUploadResult")
            .element(
                "Location",
                "http://"
                    + (host == null ? "localhost" : host)
                    + "/"
                    + bucket
                    + "/"
                    + UriEncoding.encodePath(key))
            .element("Bucket", bucket)
            .element("Key", key)
            .element("ETag", stored.quotedEtag());
    Checksum kept = stored.metadata().checksum();
    if (kept != null) {
      xml.element("Checksum" + kept.algorithm(), kept.value()).element("ChecksumType", kept.type());
    }
    xml.close("CompleteMultipartUploadResult");
    io.netty.handler.codec.http.HttpHeaders headers =
        new io.netty.handler.codec.http.DefaultHttpHeaders();
    ObjectHeaders.version(headers, stored);
    Replies.xml(exchange, HttpResponseStatus.OK, headers, xml);
  }

  /**
   * The checksum of a multipart object, from the parts' checksums its completion names (S3's
   * COMPOSITE type: the checksum of the parts' checksums' bytes, then {@code -N}); null if the
   * parts name none. Parts that name checksums of different algorithms, or only some of them, are
   * {@code InvalidRequest}; each named checksum is checked against the part's own by the origin.
   */
  static @Nullable Checksum composite(List<CompletedPart> parts) {
    String algorithm = null;
    int named = 0;
    for (CompletedPart p : parts) {
      Checksum c = p.checksum();
      if (c != null) {
        if (algorithm != null && !algorithm.equals(c.algorithm())) {
          throw S3Error.INVALID_REQUEST.exception(
              "Every part must name a checksum of one algorithm.");
        }
        algorithm = c.algorithm();
        named++;
      }
    }
    if (algorithm == null) {
      return null;
    }
    if (named != parts.size()) {
      throw S3Error.INVALID_REQUEST.exception(
          "The complete request must include the checksum for each part, or for none.");
    }
    ChecksumAlgorithm a =
        java.util.Objects.requireNonNull(ChecksumAlgorithm.ofLabel(algorithm), "an S3 algorithm");
    ChecksumAlgorithm.Digest digest = a.start();
    for (CompletedPart p : parts) {
      byte[] bytes = a.decode(java.util.Objects.requireNonNull(p.checksum()).value());
      digest.update(bytes, 0, bytes.length);
    }
    return new Checksum(
        algorithm,
        java.util.Base64.getEncoder().encodeToString(digest.finish()) + "-" + parts.size());
  }

  void abort(S3Request request, String bucket, String key, Exchange exchange) throws IOException {
    gateway.abortUpload(bucket, key, uploadId(request));
    Replies.empty(exchange, HttpResponseStatus.NO_CONTENT);
  }

  void listParts(S3Request request, String bucket, String key, Exchange exchange)
      throws IOException {
    String uploadId = uploadId(request);
    int maxParts = ListOperations.maxKeys(request.param("max-parts"), "max-parts");
    int marker = 0;
    String markerParam = request.param("part-number-marker");
    if (markerParam != null && !markerParam.isEmpty()) {
      try {
        marker = Integer.parseInt(markerParam);
      } catch (NumberFormatException e) {
        throw S3Error.INVALID_ARGUMENT
            .exception("Provided part-number-marker not an integer or within integer range")
            .with("ArgumentName", "part-number-marker")
            .with("ArgumentValue", markerParam);
      }
    }
    PartListing page = gateway.listParts(bucket, key, uploadId, marker, maxParts);
    Xml xml =
        Xml.document("ListPartsResult")
            .element("Bucket", bucket)
            .element("Key", key)
            .element("UploadId", uploadId);
    party(xml, "Initiator");
    party(xml, "Owner");
    xml.element("StorageClass", "STANDARD").element("PartNumberMarker", marker);
    if (!page.parts().isEmpty()) {
      xml.element("NextPartNumberMarker", page.parts().get(page.parts().size() - 1).partNumber());
    }
    xml.element("MaxParts", maxParts).element("IsTruncated", page.truncated());
    for (PartInfo p : page.parts()) {
      xml.open("Part")
          .element("PartNumber", p.partNumber())
          .element("LastModified", p.lastModified())
          .element("ETag", '"' + p.etag() + '"')
          .element("Size", p.size());
      Checksum checksum = p.checksum();
      if (checksum != null) {
        xml.element("Checksum" + checksum.algorithm(), checksum.value());
      }
      xml.close("Part");
    }
    Replies.xml(exchange, xml.close("ListPartsResult"));
  }

  void listUploads(S3Request request, String bucket, Exchange exchange) throws IOException {
    boolean url = ListOperations.encodingType(request);
    int maxUploads = ListOperations.maxKeys(request.param("max-uploads"), "max-uploads");
    String prefix = ListOperations.orEmpty(request.param("prefix"));
    String delimiter = ListOperations.emptyToNull(request.param("delimiter"));
    String keyMarker = ListOperations.emptyToNull(request.param("key-marker"));
    String uploadIdMarker = ListOperations.emptyToNull(request.param("upload-id-marker"));
    UploadListing page =
        gateway.listUploads(
            bucket,
            new UploadListRequest(prefix, delimiter, keyMarker, uploadIdMarker, maxUploads));
    Xml xml =
        Xml.document("ListMultipartUploadsResult")
            .element("Bucket", bucket)
            .element("KeyMarker", ListOperations.encode(orEmpty(keyMarker), url))
            .element("UploadIdMarker", orEmpty(uploadIdMarker));
    if (page.truncated() && !page.uploads().isEmpty()) {
      UploadInfo last = page.uploads().get(page.uploads().size() - 1);
      xml.element("NextKeyMarker", ListOperations.encode(last.key(), url))
          .element("NextUploadIdMarker", last.uploadId());
    }
    xml.element("Prefix", ListOperations.encode(prefix, url));
    if (delimiter != null) {
      xml.element("Delimiter", ListOperations.encode(delimiter, url));
    }
    xml.element("MaxUploads", maxUploads).element("IsTruncated", page.truncated());
    if (url) {
      xml.element("EncodingType", "url");
    }
    for (UploadInfo u : page.uploads()) {
      xml.open("Upload")
          .element("Key", ListOperations.encode(u.key(), url))
          .element("UploadId", u.uploadId());
      party(xml, "Initiator");
      party(xml, "Owner");
      xml.element("StorageClass", "STANDARD").element("Initiated", u.initiated()).close("Upload");
    }
    for (String p : page.commonPrefixes()) {
      xml.open("CommonPrefixes")
          .element("Prefix", ListOperations.encode(p, url))
          .close("CommonPrefixes");
    }
    Replies.xml(exchange, xml.close("ListMultipartUploadsResult"));
  }

  private void party(Xml xml, String element) {
    xml.open(element).element("ID", owner).element("DisplayName", owner).close(element);
  }

  private static String uploadId(S3Request request) {
    String id = request.param("uploadId");
    if (id == null || id.isEmpty()) {
      throw S3Error.NO_SUCH_UPLOAD.exception().with("UploadId", "");
    }
    return id;
  }

  private static int requiredPartNumber(S3Request request) {
    Integer n = ObjectOperations.partNumber(request.param("partNumber"));
    if (n == null) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Part number must be an integer between 1 and 10000, inclusive")
          .with("ArgumentName", "partNumber");
    }
    return n;
  }

  private static String orEmpty(@Nullable String value) {
    return value == null ? "" : value;
  }
}
