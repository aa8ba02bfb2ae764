package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.KeyOrder;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.Listing;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectVersion;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.site.Gateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * ListObjects (v1), ListObjectsV2 and ListObjectVersions (the origin's versions; in a write-back
 * bucket, each key's one version, {@code null}). They differ in how a client resumes (marker,
 * continuation token, key and version-id markers) and in the XML.
 *
 * <p>A continuation token is the base64 of where the next page starts: after the last key, or past
 * every key under the last common prefix. Stateless beyond the gateway; thread-safe.
 */
final class ListOperations {
  static final int MAX_KEYS = 1000;
  private static final String TOKEN_VERSION = "1:";

  private final Gateway gateway;
  private final String owner;

  ListOperations(Gateway gateway, String owner) {
    this.gateway = gateway;
    this.owner = owner;
  }

  void listV2(S3Request request, String bucket, Exchange exchange) throws IOException {
    boolean url = encodingType(request);
    int maxKeys = maxKeys(request.param("max-keys"), "max-keys");
    // An empty token asks for the first page, as no token does (S3 lists from the start).
    String token = emptyToNull(request.param("continuation-token"));
    String startAfter = request.param("start-after");
    String prefix = orEmpty(request.param("prefix"));
    String delimiter = emptyToNull(request.param("delimiter"));
    String from = token != null ? decodeToken(token) : startAfter;
    Listing page = gateway.list(bucket, new ListRequest(prefix, delimiter, from, maxKeys));
    boolean owners = "true".equals(request.param("fetch-owner"));
    Xml xml = Xml.document("ListBucketResult");
    xml.element("Name", bucket).element("Prefix", encode(prefix, url));
    String asked = request.param("continuation-token");
    if (asked != null) {
      xml.element("ContinuationToken", asked); // given back as sent, an empty one too
    }
    if (page.truncated()) {
      xml.element("NextContinuationToken", encodeToken(resumePoint(page)));
    }
    if (startAfter != null) {
      xml.element("StartAfter", encode(startAfter, url));
    }
    xml.element("KeyCount", page.objects().size() + page.commonPrefixes().size())
        .element("MaxKeys", maxKeys);
    if (delimiter != null) {
      xml.element("Delimiter", encode(delimiter, url));
    }
    if (url) {
      xml.element("EncodingType", "url");
    }
    xml.element("IsTruncated", page.truncated());
    contents(xml, page, url, owners);
    prefixes(xml, page, url);
    Replies.xml(exchange, xml.close("ListBucketResult"));
  }

  void listV1(S3Request request, String bucket, Exchange exchange) throws IOException {
    boolean url = encodingType(request);
    int maxKeys = maxKeys(request.param("max-keys"), "max-keys");
    String marker = orEmpty(request.param("marker"));
    String prefix = orEmpty(request.param("prefix"));
    String delimiter = emptyToNull(request.param("delimiter"));
    Listing page =
        gateway.list(bucket, new ListRequest(prefix, delimiter, emptyToNull(marker), maxKeys));
    Xml xml = Xml.document("ListBucketResult");
    // Not the Prefix of a v1 listing: clients decode its Marker, keys and common prefixes, but
    // take its Prefix as sent (botocore's list_objects handler; an encoded "a/" shows as "a%2F").
    xml.element("Name", bucket)
        .element("Prefix", prefix)
        .element("Marker", encode(marker, url))
        .element("MaxKeys", maxKeys);
    if (delimiter != null) {
      xml.element("Delimiter", encode(delimiter, url));
    }
    if (url) {
      xml.element("EncodingType", "url");
    }
    xml.element("IsTruncated", page.truncated());
    if (page.truncated() && delimiter != null) {
      xml.element("NextMarker", encode(page.lastItem(), url));
    }
    contents(xml, page, url, true);
    prefixes(xml, page, url);
    Replies.xml(exchange, xml.close("ListBucketResult"));
  }

  void listVersions(S3Request request, String bucket, Exchange exchange) throws IOException {
    boolean url = encodingType(request);
    int maxKeys = maxKeys(request.param("max-keys"), "max-keys");
    String keyMarker = orEmpty(request.param("key-marker"));
    String versionMarker = request.param("version-id-marker");
    if (versionMarker != null && !versionMarker.isEmpty() && keyMarker.isEmpty()) {
      throw S3Error.INVALID_ARGUMENT
          .exception("A version-id marker cannot be specified without a key marker.")
          .with("ArgumentName", "version-id-marker")
          .with("ArgumentValue", versionMarker);
    }
    String prefix = orEmpty(request.param("prefix"));
    String delimiter = emptyToNull(request.param("delimiter"));
    VersionListing page =
        gateway.listVersions(
            bucket,
            new VersionListRequest(
                prefix, delimiter, emptyToNull(keyMarker), emptyToNull(versionMarker), maxKeys));
    Xml xml = Xml.document("ListVersionsResult");
    xml.element("Name", bucket)
        .element("Prefix", encode(prefix, url))
        .element("KeyMarker", encode(keyMarker, url))
        .element("VersionIdMarker", versionMarker == null ? "" : versionMarker);
    if (page.truncated()) {
      ObjectVersion last = page.lastVersionIfLast();
      if (last != null) {
        xml.element("NextKeyMarker", encode(last.info().key(), url));
        xml.element("NextVersionIdMarker", last.versionIdText());
      } else {
        List<String> prefixes = page.commonPrefixes();
        xml.element("NextKeyMarker", encode(prefixes.get(prefixes.size() - 1), url));
      }
    }
    xml.element("MaxKeys", maxKeys);
    if (delimiter != null) {
      xml.element("Delimiter", encode(delimiter, url));
    }
    if (url) {
      xml.element("EncodingType", "url");
    }
    xml.element("IsTruncated", page.truncated());
    for (ObjectVersion v : page.versions()) {
      ObjectInfo o = v.info();
      String element = v.deleteMarker() ? "DeleteMarker" : "Version";
      xml.open(element)
          .element("Key", encode(o.key(), url))
          .element("VersionId", v.versionIdText())
          .element("IsLatest", v.latest())
          .element("LastModified", o.lastModified());
      if (!v.deleteMarker()) {
        xml.element("ETag", o.quotedEtag())
            .element("Size", o.size())
            .element("StorageClass", "STANDARD");
      }
      owner(xml);
      xml.close(element);
    }
    for (String p : page.commonPrefixes()) {
      xml.open("CommonPrefixes").element("Prefix", encode(p, url)).close("CommonPrefixes");
    }
    Replies.xml(exchange, xml.close("ListVersionsResult"));
  }

  private void contents(Xml xml, Listing page, boolean url, boolean owners) {
    for (ObjectInfo o : page.objects()) {
      xml.open("Contents")
          .element("Key", encode(o.key(), url))
          .element("LastModified", o.lastModified())
          .element("ETag", o.quotedEtag())
          .element("Size", o.size())
          .element("StorageClass", "STANDARD");
      if (owners) {
        owner(xml);
      }
      xml.close("Contents");
    }
  }

  private void owner(Xml xml) {
    xml.open("Owner").element("ID", owner).element("DisplayName", owner).close("Owner");
  }

  private static void prefixes(Xml xml, Listing page, boolean url) {
    for (String p : page.commonPrefixes()) {
      xml.open("CommonPrefixes").element("Prefix", encode(p, url)).close("CommonPrefixes");
    }
  }

  /** Where the page after this one starts: after its last key, or past its last prefix. */
  private static String resumePoint(Listing page) {
    String last = page.lastItem();
    return page.commonPrefixes().contains(last) ? KeyOrder.pastPrefix(last) : last;
  }

  static String encodeToken(String startAfter) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((TOKEN_VERSION + startAfter).getBytes(StandardCharsets.UTF_8));
  }

  static String decodeToken(String token) {
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      if (decoded.startsWith(TOKEN_VERSION)) {
        return decoded.substring(TOKEN_VERSION.length());
      }
    } catch (IllegalArgumentException notBase64) {
      // reported below
    }
    throw S3Error.INVALID_ARGUMENT
        .exception("The continuation token provided is incorrect")
        .with("ArgumentName", "continuation-token")
        .with("ArgumentValue", token);
  }

  static int maxKeys(@Nullable String value, String name) {
    if (value == null) {
      return MAX_KEYS;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return Math.min(n, MAX_KEYS);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw S3Error.INVALID_ARGUMENT
        .exception("Provided " + name + " not an integer or within integer range")
        .with("ArgumentName", name)
        .with("ArgumentValue", value);
  }

  static boolean encodingType(S3Request request) {
    String type = request.param("encoding-type");
    if (type == null) {
      return false;
    }
    if (type.equals("url")) {
      return true;
    }
    throw S3Error.INVALID_ARGUMENT
        .exception("Invalid Encoding Method specified in Request")
        .with("ArgumentName", "encoding-type")
        .with("ArgumentValue", type);
  }

  static String encode(String value, boolean url) {
    // Slashes stay: S3 answers "foo%2B1/" for the common prefix "foo+1/", and "/" for the
    // delimiter "/" (ceph/s3-tests' list encoding tests, which S3 itself passes).
    return url ? UriEncoding.encodePath(value) : value;
  }

  static String orEmpty(@Nullable String value) {
    return value == null ? "" : value;
  }

  static @Nullable String emptyToNull(@Nullable String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
