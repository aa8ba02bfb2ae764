package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.error.WouldWait;
import dev.leasehold.object.Deletion;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.PartInfo;
import dev.leasehold.site.ByteRange;
import dev.leasehold.site.CopyRequest;
import dev.leasehold.site.CopySource;
import dev.leasehold.site.DeleteOutcome;
import dev.leasehold.site.Gateway;
import dev.leasehold.site.GetRequest;
import dev.leasehold.site.ObjectRead;
import dev.leasehold.site.PutRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * GetObject, HeadObject, PutObject, CopyObject, DeleteObject and DeleteObjects. Stateless beyond
 * the gateway; thread-safe.
 */
final class ObjectOperations {
  private static final int MAX_DELETE_KEYS = 1000;
  private static final int MAX_DELETE_BODY = 2 * 1024 * 1024;

  private final Gateway gateway;
  private final WriteMetadata writes;

  ObjectOperations(Gateway gateway, WriteMetadata writes) {
    this.gateway = gateway;
    this.writes = writes;
  }

  void get(S3Request request, String bucket, String key, Exchange exchange, boolean head)
      throws IOException {
    String versionId = versionId(request);
    Integer partNumber = partNumber(request.param("partNumber"));
    ByteRange range = ByteRange.parse(request.header(HttpHeaderNames.RANGE));
    if (partNumber != null && request.header(HttpHeaderNames.RANGE) != null) {
      throw S3Error.INVALID_REQUEST.exception(
          "Cannot specify both Range header and partNumber query parameter");
    }
    GetRequest get =
        new GetRequest(bucket, key, range, partNumber, ObjectHeaders.preconditions(request));
    ObjectRead read =
        versionId != null
            ? gateway.getVersion(get, versionId, !head)
            : head ? gateway.head(get) : gateway.get(get);
    ObjectInfo info = read.info();
    HttpHeaders headers = new DefaultHttpHeaders();
    ObjectHeaders.describe(headers, info);
    ObjectLockOperations.describe(headers, info);
    TagOperations.describe(headers, info);
    ObjectHeaders.overrides(headers, request);
    if (read.partial()) {
      long last = read.span().end() - 1;
      headers.set(
          HttpHeaderNames.CONTENT_RANGE,
          "bytes " + read.span().offset() + "-" + last + "/" + info.size());
    }
    if (read.partsCount() != null && info.partsCount() > 0) {
      headers.set("x-amz-mp-parts-count", read.partsCount());
    }
    if (!read.partial() && "ENABLED".equals(request.header("x-amz-checksum-mode"))) {
      ObjectHeaders.checksum(headers, info); // a whole object only: it checks the whole
    }
    HttpResponseStatus status =
        read.partial() ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK;
    exchange.start(status, headers, read.span().length());
    if (!head) {
      try {
        read.transferTo(exchange);
      } catch (WouldWait w) {
        throw w; // nothing has left: the request is served again elsewhere
      } catch (IOException | RuntimeException e) {
        exchange.abort(); // headers are out: the client sees the body cut short
        throw e;
      }
    }
    exchange.finish();
  }

  /** The attributes GetObjectAttributes may ask for, in {@code x-amz-object-attributes}. */
  private static final java.util.Set<String> ATTRIBUTES =
      java.util.Set.of("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize");

  /**
   * GetObjectAttributes: what {@code x-amz-object-attributes} names, of the current version (or the
   * one {@code versionId} names), read under the same lease rules as a HEAD. An object uploaded in
   * parts gives its part count and a page of the parts its origin names ({@link #objectParts}).
   */
  void attributes(S3Request request, String bucket, String key, Exchange exchange)
      throws IOException {
    String versionId = versionId(request);
    java.util.Set<String> asked = new java.util.HashSet<>();
    for (String header : request.headers("x-amz-object-attributes")) {
      for (String name : header.split(",")) {
        String attribute = name.trim();
        if (!ATTRIBUTES.contains(attribute)) {
          throw S3Error.INVALID_ARGUMENT
              .exception("Invalid attribute name specified.")
              .with("ArgumentName", "x-amz-object-attributes")
              .with("ArgumentValue", attribute);
        }
        asked.add(attribute);
      }
    }
    if (asked.isEmpty()) {
      throw S3Error.INVALID_REQUEST.exception(
          "The x-amz-object-attributes header specifying the attributes to be retrieved is either"
              + " missing or empty");
    }
    ObjectInfo info = head(gateway, bucket, key, versionId);
    Xml xml = Xml.document("GetObjectAttributesResponse");
    if (asked.contains("ETag")) {
      xml.element("ETag", info.etag());
    }
    dev.leasehold.object.Checksum checksum = info.metadata().checksum();
    if (asked.contains("Checksum") && checksum != null) {
      xml.open("Checksum")
          .element("Checksum" + checksum.algorithm(), checksum.value())
          .element("ChecksumType", checksum.type())
          .close("Checksum");
    }
    if (asked.contains("ObjectParts") && info.partsCount() > 0) {
      objectParts(request, bucket, key, info, xml);
    }
    if (asked.contains("StorageClass")) {
      xml.element("StorageClass", "STANDARD");
    }
    if (asked.contains("ObjectSize")) {
      xml.element("ObjectSize", info.size());
    }
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.LAST_MODIFIED, HttpDates.header(info.lastModified()));
    ObjectHeaders.version(headers, info);
    Replies.xml(exchange, HttpResponseStatus.OK, headers, xml.close("GetObjectAttributesResponse"));
  }

  /**
   * GetObjectAttributes' ObjectParts: the part count (TotalPartsCount in the API's model,
   * PartsCount on the wire), and a page of the parts the origin can name, after {@code
   * x-amz-part-number-marker}, at most {@code x-amz-max-parts} (default 1,000).
   */
  private void objectParts(S3Request request, String bucket, String key, ObjectInfo info, Xml xml) {
    int maxParts = ListOperations.maxKeys(request.header("x-amz-max-parts"), "x-amz-max-parts");
    int marker = 0;
    String markerHeader = request.header("x-amz-part-number-marker");
    if (markerHeader != null && !markerHeader.isEmpty()) {
      try {
        marker = Integer.parseInt(markerHeader.trim());
      } catch (NumberFormatException e) {
        throw S3Error.INVALID_ARGUMENT
            .exception("Provided part-number-marker not an integer or within integer range")
            .with("ArgumentName", "x-amz-part-number-marker")
            .with("ArgumentValue", markerHeader);
      }
    }
    List<PartInfo> page = new ArrayList<>();
    boolean truncated = false;
    for (PartInfo p : gateway.objectParts(bucket, key, info.etag())) {
      if (p.partNumber() <= marker) {
        continue;
      }
      if (page.size() == maxParts) {
        truncated = true;
        break;
      }
      page.add(p);
    }
    xml.open("ObjectParts").element("PartsCount", info.partsCount());
    xml.element("PartNumberMarker", marker);
    if (!page.isEmpty()) {
      xml.element("NextPartNumberMarker", page.get(page.size() - 1).partNumber());
    }
    xml.element("MaxParts", maxParts).element("IsTruncated", truncated);
    for (PartInfo p : page) {
      xml.open("Part").element("PartNumber", p.partNumber()).element("Size", p.size());
      dev.leasehold.object.Checksum sum = p.checksum();
      if (sum != null) {
        xml.element("Checksum" + sum.algorithm(), sum.value());
      }
      xml.close("Part");
    }
    xml.close("ObjectParts");
  }

  void put(S3Request request, String bucket, String key, Exchange exchange, Authentication auth)
      throws IOException {
    if (request.header("x-amz-copy-source") != null) {
      copy(request, bucket, key, exchange);
      return;
    }
    ObjectHeaders.refuseUnsupported(request);
    PutRequest put =
        new PutRequest(
            bucket, key, writes.of(request, bucket), ObjectHeaders.writeCondition(request));
    ObjectInfo stored = gateway.put(put, Bodies.upload(request, exchange, auth));
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.ETAG, stored.quotedEtag());
    ObjectHeaders.version(headers, stored);
    ObjectHeaders.checksum(headers, stored);
    Replies.empty(exchange, HttpResponseStatus.OK, headers);
  }

  private void copy(S3Request request, String bucket, String key, Exchange exchange)
      throws IOException {
    ObjectHeaders.refuseUnsupported(request);
    String directive = request.header("x-amz-metadata-directive");
    boolean replace;
    if (directive == null || directive.equals("COPY")) {
      replace = false;
    } else if (directive.equals("REPLACE")) {
      replace = true;
    } else {
      throw S3Error.INVALID_ARGUMENT
          .exception("Unknown metadata directive.")
          .with("ArgumentName", "x-amz-metadata-directive")
          .with("ArgumentValue", directive);
    }
    CopySource source = copySource(request, null);
    ObjectInfo stored =
        gateway.copy(
            new CopyRequest(
                source,
                bucket,
                key,
                replace,
                replaceTags(request),
                writes.of(request, bucket),
                ObjectHeaders.writeCondition(request)));
    Xml xml =
        Xml.document("CopyObjectResult")
            .element("LastModified", stored.lastModified())
            .element("ETag", stored.quotedEtag())
            .close("CopyObjectResult");
    HttpHeaders headers = new DefaultHttpHeaders();
    ObjectHeaders.version(headers, stored);
    if (source.versionId() != null) {
      headers.set("x-amz-copy-source-version-id", source.versionId());
    }
    Replies.xml(exchange, HttpResponseStatus.OK, headers, xml);
  }

  void delete(S3Request request, String bucket, String key, Exchange exchange) throws IOException {
    String versionId = versionId(request);
    Deletion done =
        versionId == null
            ? gateway.delete(bucket, key)
            : gateway.deleteVersion(bucket, key, versionId, ObjectLockOperations.bypass(request));
    HttpHeaders headers = new DefaultHttpHeaders();
    ObjectHeaders.deletion(headers, done);
    Replies.empty(exchange, HttpResponseStatus.NO_CONTENT, headers);
  }

  /**
   * DeleteObjects; {@code mayDelete} says, key by key, whether the signer may delete it (a key it
   * may not is answered AccessDenied in the result, as S3 does).
   */
  void deleteObjects(
      S3Request request,
      String bucket,
      Exchange exchange,
      Authentication auth,
      java.util.function.BiPredicate<String, @Nullable String> mayDelete)
      throws IOException {
    boolean hasChecksum =
        request.header("Content-MD5") != null
            || request.header("x-amz-sdk-checksum-algorithm") != null
            || request.header("x-amz-trailer") != null
            || request.headers().names().stream()
                .anyMatch(n -> ChecksumAlgorithm.ofHeader(n) != null);
    if (!hasChecksum) {
      throw S3Error.INVALID_REQUEST.exception(
          "Missing required header for this request: Content-MD5");
    }
    XmlRequests.Delete delete =
        XmlRequests.delete(Bodies.small(request, exchange, auth, MAX_DELETE_BODY));
    if (delete.keys().size() > MAX_DELETE_KEYS) {
      throw S3Error.MALFORMED_XML.exception();
    }
    List<String> valid = new ArrayList<>();
    List<@Nullable String> validVersions = new ArrayList<>();
    List<DeleteOutcome> refused = new ArrayList<>();
    for (int i = 0; i < delete.keys().size(); i++) {
      String key = delete.keys().get(i);
      String version = delete.versionIds().get(i);
      try {
        Names.checkKey(key);
        if (version != null && version.isEmpty()) {
          throw S3Error.INVALID_ARGUMENT.exception("Invalid version id specified");
        }
        if (!mayDelete.test(key, version)) {
          throw S3Error.ACCESS_DENIED.exception();
        }
        valid.add(key);
        validVersions.add(version);
      } catch (S3Exception e) {
        refused.add(DeleteOutcome.failed(key, version, e));
      }
    }
    List<DeleteOutcome> outcomes =
        new ArrayList<>(
            gateway.deleteAll(bucket, valid, validVersions, ObjectLockOperations.bypass(request)));
    outcomes.addAll(refused);
    Xml xml = Xml.document("DeleteResult");
    for (DeleteOutcome o : outcomes) {
      S3Exception error = o.error();
      Deletion done = o.deletion();
      if (error == null && done != null) {
        if (!delete.quiet()) {
          xml.open("Deleted").element("Key", o.key());
          if (o.versionId() != null) {
            xml.element("VersionId", o.versionId());
          }
          if (done.deleteMarker()) {
            xml.element("DeleteMarker", true);
            if (o.versionId() == null) {
              xml.element(
                  "DeleteMarkerVersionId", done.versionId() == null ? "null" : done.versionId());
            }
          }
          xml.close("Deleted");
        }
      } else {
        xml.open("Error").element("Key", o.key());
        if (o.versionId() != null) {
          xml.element("VersionId", o.versionId());
        }
        S3Exception e = error == null ? S3Error.INTERNAL_ERROR.exception() : error;
        xml.element("Code", e.error().code()).element("Message", e.getMessage()).close("Error");
      }
    }
    Replies.xml(exchange, xml.close("DeleteResult"));
  }

  /** The {@code x-amz-copy-source} of a copy: {@code [/]bucket/key[?versionId=id]}, URL-encoded. */
  static CopySource copySource(S3Request request, @Nullable ByteRange range) {
    String header = request.header("x-amz-copy-source");
    if (header == null) {
      throw S3Error.INVALID_ARGUMENT.exception(
          "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    }
    String raw = header.trim();
    int q = raw.indexOf("?versionId=");
    String versionId = null;
    if (q >= 0) {
      versionId = UriEncoding.decodeQuery(raw.substring(q + "?versionId=".length()));
      if (versionId.isEmpty()) {
        throw S3Error.INVALID_ARGUMENT
            .exception("Invalid version id specified")
            .with("ArgumentName", "x-amz-copy-source")
            .with("ArgumentValue", header);
      }
      raw = raw.substring(0, q);
    }
    String decoded = UriEncoding.decodePath(raw);
    if (decoded.startsWith("/")) {
      decoded = decoded.substring(1);
    }
    int slash = decoded.indexOf('/');
    if (slash <= 0 || slash == decoded.length() - 1) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
          .with("ArgumentName", "x-amz-copy-source")
          .with("ArgumentValue", header);
    }
    String bucket = decoded.substring(0, slash);
    String key = decoded.substring(slash + 1);
    Names.checkBucket(bucket);
    Names.checkKey(key);
    return new CopySource(
        bucket, key, versionId, ObjectHeaders.copySourcePreconditions(request), range);
  }

  static @Nullable Integer partNumber(@Nullable String value) {
    if (value == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= 10000) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw S3Error.INVALID_ARGUMENT
        .exception("Part number must be an integer between 1 and 10000, inclusive")
        .with("ArgumentName", "partNumber")
        .with("ArgumentValue", value);
  }

  /** Whether a copy's {@code x-amz-tagging-directive} says REPLACE (COPY is the default). */
  private static boolean replaceTags(S3Request request) {
    String directive = request.header("x-amz-tagging-directive");
    if (directive == null || directive.equals("COPY")) {
      return false;
    }
    if (directive.equals("REPLACE")) {
      return true;
    }
    throw S3Error.INVALID_ARGUMENT
        .exception("Unknown tagging directive.")
        .with("ArgumentName", "x-amz-tagging-directive")
        .with("ArgumentValue", directive);
  }

  /**
   * The key's latest version, or the one {@code versionId} names, as a HEAD reads it: the latest
   * under its lease, a named one from the origin (docs/protocol.md, Versions).
   */
  static ObjectInfo head(Gateway gateway, String bucket, String key, @Nullable String versionId) {
    GetRequest whole = GetRequest.whole(bucket, key, dev.leasehold.site.Preconditions.NONE);
    return (versionId == null ? gateway.head(whole) : gateway.getVersion(whole, versionId, false))
        .info();
  }

  /** The version a request names ({@code ?versionId=}), or null for the key's latest. */
  static @Nullable String versionId(S3Request request) {
    String version = request.param("versionId");
    if (version != null && version.isEmpty()) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Version id cannot be the empty string")
          .with("ArgumentName", "versionId")
          .with("ArgumentValue", version);
    }
    return version;
  }
}
