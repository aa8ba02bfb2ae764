package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.site.Preconditions;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/** Object metadata and conditions to and from HTTP headers. Stateless; thread-safe. */
final class ObjectHeaders {
  /** S3's limit on user metadata: names and values of x-amz-meta-* together. */
  static final int MAX_USER_METADATA = 2048;

  static final String DEFAULT_CONTENT_TYPE = "binary/octet-stream";
  private static final String META = "x-amz-meta-";

  /**
   * The user metadata names Leasehold keeps for itself: the checksum a site verified (at an S3
   * origin) and an object's ACL.
   */
  private static final String RESERVED = ObjectMetadata.RESERVED_PREFIX;

  private ObjectHeaders() {}

  /** The metadata a write stores, from its headers. */
  static ObjectMetadata metadata(S3Request request) {
    Map<String, String> user = new TreeMap<>();
    for (Map.Entry<String, String> h : request.headers()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith(META) && name.length() > META.length()) {
        String key = name.substring(META.length());
        user.merge(key, h.getValue().trim(), (a, b) -> a + "," + b);
      }
    }
    ObjectMetadata metadata =
        new ObjectMetadata(
            request.header(HttpHeaderNames.CONTENT_TYPE),
            contentEncoding(request.header(HttpHeaderNames.CONTENT_ENCODING)),
            request.header("Content-Disposition"),
            request.header(HttpHeaderNames.CONTENT_LANGUAGE),
            request.header(HttpHeaderNames.CACHE_CONTROL),
            request.header(HttpHeaderNames.EXPIRES),
            user);
    for (String name : user.keySet()) {
      if (name.startsWith(RESERVED)) {
        // Names Leasehold keeps its own under (a checksum at an S3 origin, an ACL): nobody may set
        // them.
        throw S3Error.INVALID_ARGUMENT
            .exception("x-amz-meta-" + RESERVED + "* is reserved for what a site keeps itself.")
            .with("ArgumentName", "x-amz-meta-" + name);
      }
    }
    if (metadata.userMetadataBytes() > MAX_USER_METADATA) {
      throw S3Error.METADATA_TOO_LARGE
          .exception()
          .with("Size", Integer.toString(metadata.userMetadataBytes()))
          .with("MaxSizeAllowed", Integer.toString(MAX_USER_METADATA));
    }
    return metadata;
  }

  /**
   * The stored Content-Encoding: the header without {@code aws-chunked}, which describes only how
   * this upload was framed.
   */
  static @Nullable String contentEncoding(@Nullable String header) {
    if (header == null) {
      return null;
    }
    // The other codings are kept as written, separators included ("deflate, gzip" stays so).
    StringBuilder kept = new StringBuilder();
    for (String coding : header.split(",")) {
      if (!coding.trim().isEmpty() && !coding.trim().equalsIgnoreCase("aws-chunked")) {
        if (kept.length() > 0) {
          kept.append(',');
        }
        kept.append(kept.length() == 0 ? coding.stripLeading() : coding);
      }
    }
    String stored = kept.toString().strip();
    return stored.isEmpty() ? null : stored;
  }

  /** {@code x-amz-version-id}, for a version the origin gave an id. */
  static void version(HttpHeaders headers, ObjectInfo info) {
    setIf(headers, "x-amz-version-id", info.versionId());
  }

  /** What a delete did: the marker it added, or the version it removed. */
  static void deletion(HttpHeaders headers, dev.leasehold.object.Deletion deletion) {
    if (deletion.deleteMarker()) {
      headers.set("x-amz-delete-marker", "true");
      headers.set("x-amz-version-id", deletion.versionId() == null ? "null" : deletion.versionId());
    } else {
      setIf(headers, "x-amz-version-id", deletion.versionId());
    }
  }

  /** The headers that describe a version: validators, content headers, user metadata. */
  static void describe(HttpHeaders headers, ObjectInfo info) {
    ObjectMetadata m = info.metadata();
    headers.set(HttpHeaderNames.ETAG, info.quotedEtag());
    headers.set(HttpHeaderNames.LAST_MODIFIED, HttpDates.header(info.lastModified()));
    headers.set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
    version(headers, info);
    headers.set(
        HttpHeaderNames.CONTENT_TYPE,
        m.contentType() == null ? DEFAULT_CONTENT_TYPE : m.contentType());
    setIf(headers, HttpHeaderNames.CONTENT_ENCODING, m.contentEncoding());
    setIf(headers, "Content-Disposition", m.contentDisposition());
    setIf(headers, HttpHeaderNames.CONTENT_LANGUAGE, m.contentLanguage());
    setIf(headers, HttpHeaderNames.CACHE_CONTROL, m.cacheControl());
    setIf(headers, HttpHeaderNames.EXPIRES, m.expires());
    for (Map.Entry<String, String> e : m.user().entrySet()) {
      if (!e.getKey().startsWith(RESERVED)) {
        headers.set(META + e.getKey(), e.getValue());
      }
    }
  }

  /**
   * The stored checksum, if the object has one: {@code x-amz-checksum-<algorithm>} and {@code
   * x-amz-checksum-type: FULL_OBJECT} (it covers the whole object).
   */
  static void checksum(HttpHeaders headers, ObjectInfo info) {
    dev.leasehold.object.Checksum c = info.metadata().checksum();
    if (c != null) {
      headers.set(c.header(), c.value());
      headers.set("x-amz-checksum-type", c.type());
    }
  }

  /** The validators only, as a 304 carries them. */
  static void validators(HttpHeaders headers, ObjectInfo info) {
    headers.set(HttpHeaderNames.ETAG, info.quotedEtag());
    headers.set(HttpHeaderNames.LAST_MODIFIED, HttpDates.header(info.lastModified()));
  }

  /** The response-* query parameters of a GET override the stored headers. */
  static void overrides(HttpHeaders headers, S3Request request) {
    setIf(headers, HttpHeaderNames.CONTENT_TYPE, request.param("response-content-type"));
    setIf(headers, HttpHeaderNames.CONTENT_LANGUAGE, request.param("response-content-language"));
    setIf(headers, HttpHeaderNames.EXPIRES, request.param("response-expires"));
    setIf(headers, HttpHeaderNames.CACHE_CONTROL, request.param("response-cache-control"));
    setIf(headers, "Content-Disposition", request.param("response-content-disposition"));
    setIf(headers, HttpHeaderNames.CONTENT_ENCODING, request.param("response-content-encoding"));
  }

  /** The conditions of a GET or HEAD. */
  static Preconditions preconditions(S3Request request) {
    return new Preconditions(
        request.header(HttpHeaderNames.IF_MATCH),
        request.header(HttpHeaderNames.IF_NONE_MATCH),
        HttpDates.parseHeader(request.header(HttpHeaderNames.IF_MODIFIED_SINCE)),
        HttpDates.parseHeader(request.header(HttpHeaderNames.IF_UNMODIFIED_SINCE)));
  }

  /** The conditions on a copy's source. */
  static Preconditions copySourcePreconditions(S3Request request) {
    return new Preconditions(
            request.header("x-amz-copy-source-if-match"),
            request.header("x-amz-copy-source-if-none-match"),
            HttpDates.parseHeader(request.header("x-amz-copy-source-if-modified-since")),
            HttpDates.parseHeader(request.header("x-amz-copy-source-if-unmodified-since")))
        .forCopy();
  }

  /** The condition of a write: {@code If-None-Match: *} or {@code If-Match: "etag"}. */
  static WriteCondition writeCondition(S3Request request) {
    String ifNoneMatch = request.header(HttpHeaderNames.IF_NONE_MATCH);
    String ifMatch = request.header(HttpHeaderNames.IF_MATCH);
    if (ifNoneMatch != null && ifMatch != null) {
      throw S3Error.NOT_IMPLEMENTED.exception(
          "If-Match and If-None-Match together on a write are not implemented.");
    }
    if (ifNoneMatch != null) {
      if (!ifNoneMatch.trim().equals("*")) {
        throw S3Error.NOT_IMPLEMENTED.exception(
            "If-None-Match on a write is implemented only with the value *.");
      }
      return WriteCondition.IF_ABSENT;
    }
    if (ifMatch != null) {
      String etag = ifMatch.trim();
      if (etag.startsWith("\"") && etag.endsWith("\"") && etag.length() >= 2) {
        etag = etag.substring(1, etag.length() - 1);
      }
      return WriteCondition.ifMatch(etag);
    }
    return WriteCondition.NONE;
  }

  /** The storage classes S3 names; any but STANDARD is refused as this site's only class. */
  private static final Set<String> STORAGE_CLASSES =
      Set.of(
          "STANDARD",
          "REDUCED_REDUNDANCY",
          "STANDARD_IA",
          "ONEZONE_IA",
          "INTELLIGENT_TIERING",
          "GLACIER",
          "DEEP_ARCHIVE",
          "OUTPOSTS",
          "GLACIER_IR",
          "SNOW",
          "EXPRESS_ONEZONE");

  /**
   * Headers of an object write (PutObject, CopyObject, CreateMultipartUpload) that ask for what
   * this site does not do, refused as AWS refuses them where AWS has a 4xx for it, so that clients
   * do not retry: a storage class other than STANDARD ({@code InvalidStorageClass}) and server-side
   * encryption ({@code InvalidArgument}). Website redirects, a feature a later release may add, are
   * 501 {@code NotImplemented}. Nothing is silently ignored. (ACLs and Object Lock headers are
   * {@link AclOperations}' and {@link ObjectLockOperations}'.)
   */
  static void refuseUnsupported(S3Request request) {
    String storageClass = request.header("x-amz-storage-class");
    if (storageClass != null && !storageClass.equals("STANDARD")) {
      throw S3Error.INVALID_STORAGE_CLASS
          .exception(
              STORAGE_CLASSES.contains(storageClass)
                  ? "This site stores every object in the STANDARD storage class."
                  : S3Error.INVALID_STORAGE_CLASS.message())
          .with("StorageClassRequested", storageClass);
    }
    for (Map.Entry<String, String> h : request.headers()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith("x-amz-server-side-encryption")) {
        throw S3Error.INVALID_ARGUMENT
            .exception("Server-side encryption is not supported by this site.")
            .with("ArgumentName", name)
            .with("ArgumentValue", h.getValue());
      }
    }

    for (String header : new String[] {"x-amz-website-redirect-location"}) {
      if (request.header(header) != null) {
        throw notImplemented(header);
      }
    }
  }

  private static dev.leasehold.error.S3Exception notImplemented(String what) {
    return S3Error.NOT_IMPLEMENTED
        .exception("A header you provided implies functionality that is not implemented: " + what)
        .with("Header", what);
  }

  private static void setIf(HttpHeaders headers, CharSequence name, @Nullable String value) {
    if (value != null) {
      headers.set(name, value);
    }
  }
}
