package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.site.Gateway;
import dev.leasehold.site.PutRequest;
import dev.leasehold.site.Upload;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * POST Object: a browser's form upload (Amazon S3 API reference, "POST Object" and "Browser-Based
 * Uploads Using POST"). The form's fields come first, then the file; the fields carry the key, the
 * object's headers and metadata, and a signed policy ({@link PostPolicy}) that says what the form
 * may hold. The file streams to the same staged-and-checked write path as a PUT, and the answer is
 * 204, or what {@code success_action_status} or {@code success_action_redirect} asks.
 *
 * <p>Stateless beyond the gateway; thread-safe.
 */
final class PostObjectOperations {
  /** S3's bound on the fields before the file. */
  private static final int MAX_FIELDS = 20 * 1024;

  /** What each part before the file costs of {@link #MAX_FIELDS} beyond its name and value. */
  private static final int PART_COST = 64;

  /** The fields that become the object's headers, as the same headers on a PUT would. */
  private static final Map<String, String> HEADERS =
      Map.of(
          "content-type", "Content-Type",
          "cache-control", "Cache-Control",
          "content-disposition", "Content-Disposition",
          "content-encoding", "Content-Encoding",
          "expires", "Expires",
          "acl", "x-amz-acl",
          "tagging", "x-amz-tagging");

  private final Gateway gateway;
  private final Authenticator authenticator;
  private final Clock clock;
  private final WriteMetadata writes;

  PostObjectOperations(
      Gateway gateway, Authenticator authenticator, Clock clock, WriteMetadata writes) {
    this.gateway = gateway;
    this.writes = writes;
    this.authenticator = authenticator;
    this.clock = clock;
  }

  /**
   * @param authorize decides whether the form's signer (or an anonymous caller) may put the key, by
   *     the rules of a PutObject; throws AccessDenied if not
   */
  void post(
      S3Request request,
      String bucket,
      Exchange exchange,
      BiConsumer<Authentication, S3Request> authorize)
      throws IOException {
    String boundary = FormParts.boundary(request.header(HttpHeaderNames.CONTENT_TYPE));
    if (boundary == null) {
      throw S3Error.PRECONDITION_FAILED
          .exception("Bucket POST must be of the enclosure-type multipart/form-data")
          .with("Condition", "Bucket POST must be of the enclosure-type-multipart/form-data");
    }
    FormParts form = new FormParts(exchange.body(), boundary);
    Map<String, String> fields = new LinkedHashMap<>();
    FormParts.Part file = null;
    int budget = MAX_FIELDS;
    for (FormParts.Part part = form.next(); part != null; part = form.next()) {
      if (part.name().equalsIgnoreCase("file")) {
        file = part;
        break;
      }
      // Every part costs its name and a share for its headers, so that a form of many empty parts
      // is bounded too.
      budget -= part.name().length() + PART_COST;
      if (budget < 0) {
        throw S3Error.MAX_POST_PRE_DATA_LENGTH_EXCEEDED.exception();
      }
      byte[] value = form.value(budget, S3Error.MAX_POST_PRE_DATA_LENGTH_EXCEEDED);
      budget -= value.length;
      fields.putIfAbsent(
          part.name().toLowerCase(Locale.ROOT), new String(value, StandardCharsets.UTF_8));
    }
    if (file == null) {
      throw S3Error.INVALID_ARGUMENT
          .exception("POST requires exactly one file upload per request.")
          .with("ArgumentName", "file");
    }
    String key = fields.get("key");
    if (key == null || key.isEmpty()) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Bucket POST must contain a field named 'key'.")
          .with("ArgumentName", "key");
    }
    key = key.replace("${filename}", file.filename() == null ? "" : file.filename());
    Names.checkKey(key);

    Authentication auth = authenticate(fields);
    PostPolicy policy =
        fields.containsKey("policy") ? PostPolicy.parse(fields.get("policy")) : null;
    if (policy != null) {
      policy.check(fields, bucket, clock.instant());
    }
    HttpHeaders headers = new DefaultHttpHeaders();
    fields.forEach((name, value) -> {
      String header = HEADERS.get(name);
      if (header != null) {
        headers.set(header, value);
      } else if (name.startsWith("x-amz-meta-")
          || name.startsWith("x-amz-server-side-encryption")
          || name.startsWith("x-amz-object-lock-")
          || name.equals("x-amz-storage-class")) {
        headers.set(name, value);
      }
    });
    for (CharSequence kept :
        new CharSequence[] {HttpHeaderNames.REFERER, HttpHeaderNames.USER_AGENT}) {
      String value = request.header(kept); // for a policy's aws:Referer and aws:UserAgent
      if (value != null) {
        headers.set(kept, value);
      }
    }
    if (!headers.contains(HttpHeaderNames.CONTENT_TYPE) && file.contentType() != null) {
      headers.set(HttpHeaderNames.CONTENT_TYPE, file.contentType());
    }
    S3Request put =
        new S3Request(request.http(), headers, request.rawPath(), request.query(), bucket, key);
    authorize.accept(auth, put);
    ObjectHeaders.refuseUnsupported(put);
    long min = policy == null ? 0 : policy.minLength();
    long max = Math.min(Bodies.MAX_PUT, policy == null ? Long.MAX_VALUE : policy.maxLength());
    ObjectInfo stored =
        gateway.put(
            new PutRequest(bucket, key, writes.of(put, bucket), WriteCondition.NONE),
            new Upload(new Bounded(form.content(), min, max), -1));
    try {
      while (form.next() != null) {
        // what follows the file is not part of the upload (S3 ignores it)
      }
    } catch (IOException | dev.leasehold.error.S3Exception ignored) {
      // the object is stored: a form cut short after its file changes nothing
    }
    answer(exchange, fields, request, bucket, key, stored);
  }

  /** The form's signer: SigV4 over its policy, or nobody (an anonymous upload). */
  private Authentication authenticate(Map<String, String> fields) {
    if (fields.containsKey("awsaccesskeyid") || fields.containsKey("signature")) {
      throw S3Error.INVALID_REQUEST.exception(
          "The authorization mechanism you have provided is not supported. Please use"
              + " AWS4-HMAC-SHA256.");
    }
    String signature = fields.get("x-amz-signature");
    if (signature == null) {
      return Authentication.ANONYMOUS;
    }
    return authenticator.authenticatePolicy(
        required(fields, "x-amz-algorithm"),
        required(fields, "x-amz-credential"),
        required(fields, "x-amz-date"),
        required(fields, "policy"),
        signature);
  }

  private static String required(Map<String, String> fields, String name) {
    String value = fields.get(name);
    if (value == null) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Bucket POST must contain a field named '" + name + "'.")
          .with("ArgumentName", name);
    }
    return value;
  }

  private static void answer(
      Exchange exchange,
      Map<String, String> fields,
      S3Request request,
      String bucket,
      String key,
      ObjectInfo stored)
      throws IOException {
    String host = request.header(HttpHeaderNames.HOST);
    String location =
        (exchange.secure() ? "https://" : "http://")
            + (host == null ? "localhost" : host)
            + "/"
            + bucket
            + "/"
            + UriEncoding.encodePath(key);
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.ETAG, stored.quotedEtag());
    String redirect = fields.getOrDefault("success_action_redirect", fields.get("redirect"));
    if (redirect != null && (redirect.startsWith("http://") || redirect.startsWith("https://"))) {
      headers.set(
          HttpHeaderNames.LOCATION,
          redirect
              + (redirect.contains("?") ? "&" : "?")
              + "bucket="
              + UriEncoding.encode(bucket)
              + "&key="
              + UriEncoding.encode(key)
              + "&etag="
              + UriEncoding.encode(stored.quotedEtag()));
      Replies.empty(exchange, HttpResponseStatus.SEE_OTHER, headers);
      return;
    }
    headers.set(HttpHeaderNames.LOCATION, location);
    String status = fields.getOrDefault("success_action_status", "204");
    if (status.equals("201")) {
      Replies.xml(
          exchange,
          HttpResponseStatus.CREATED,
          headers,
          Xml.document("PostResponse")
              .element("Location", location)
              .element("Bucket", bucket)
              .element("Key", key)
              .element("ETag", stored.quotedEtag())
              .close("PostResponse"));
    } else {
      Replies.empty(
          exchange,
          status.equals("200") ? HttpResponseStatus.OK : HttpResponseStatus.NO_CONTENT,
          headers);
    }
  }

  /** The file, held to the policy's content-length-range (and S3's 5 GiB) as it streams. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private final long min;
    private final long max;
    private long count;

    Bounded(InputStream in, long min, long max) {
      this.in = in;
      this.min = min;
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n < 0) {
        if (count < min) {
          throw S3Error.ENTITY_TOO_SMALL
              .exception()
              .with("ProposedSize", Long.toString(count))
              .with("MinSizeAllowed", Long.toString(min));
        }
        return -1;
      }
      count += n;
      if (count > max) {
        throw S3Error.ENTITY_TOO_LARGE
            .exception()
            .with("ProposedSize", Long.toString(count))
            .with("MaxSizeAllowed", Long.toString(max));
      }
      return n;
    }
  }
}
