package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.object.LockConfiguration;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectLock;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Object Lock (docs/s3-api.md, Object Lock; Amazon S3 User Guide, "Locking objects with Object
 * Lock"): the bucket's configuration, each version's retention and legal hold, and the lock a write
 * asks for. All of it is the origin's, as versions are: an S3 origin keeps it itself, the directory
 * origin with each version; the site checks requests and passes them on.
 *
 * <p>Stateless beyond the gateway; thread-safe.
 */
final class ObjectLockOperations {
  private static final int MAX_DOCUMENT = 64 * 1024;
  static final String BYPASS = "x-amz-bypass-governance-retention";

  private final Gateway gateway;
  private final Clock clock;

  ObjectLockOperations(Gateway gateway, Clock clock) {
    this.gateway = gateway;
    this.clock = clock;
  }

  /** What AWS answers for a lock asked of a bucket without Object Lock. */
  static S3Exception noObjectLock() {
    return S3Error.INVALID_REQUEST.exception("Bucket is missing Object Lock Configuration");
  }

  // ---- the bucket's configuration

  void getConfiguration(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    LockConfiguration c = gateway.objectLock(bucket);
    if (c == null) {
      throw S3Error.OBJECT_LOCK_CONFIGURATION_NOT_FOUND.exception().with("BucketName", bucket);
    }
    Xml xml = Xml.document("ObjectLockConfiguration").element("ObjectLockEnabled", "Enabled");
    ObjectLock.Mode mode = c.mode();
    if (mode != null) {
      xml.open("Rule").open("DefaultRetention").element("Mode", mode.name());
      if (c.days() > 0) {
        xml.element("Days", c.days());
      } else {
        xml.element("Years", c.years());
      }
      xml.close("DefaultRetention").close("Rule");
    }
    Replies.xml(exchange, xml.close("ObjectLockConfiguration"));
  }

  void putConfiguration(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    LockConfiguration c =
        XmlRequests.objectLockConfiguration(Bodies.small(request, exchange, auth, MAX_DOCUMENT));
    gateway.setObjectLock(bucket, c);
    Replies.empty(exchange, HttpResponseStatus.OK);
  }

  /** CreateBucket with {@code x-amz-bucket-object-lock-enabled: true}: versions kept, lock on. */
  void created(String bucket, S3Request request) {
    String enabled = request.header("x-amz-bucket-object-lock-enabled");
    if (enabled != null && enabled.equalsIgnoreCase("true")) {
      gateway.setVersioning(bucket, true);
      gateway.setObjectLock(bucket, LockConfiguration.ENABLED);
    }
  }

  // ---- a version's retention and legal hold

  void getRetention(S3Request request, String bucket, String key, Exchange exchange)
      throws IOException {
    ObjectLock lock = versionLock(request, bucket, key);
    ObjectLock.Mode mode = lock.mode();
    Instant until = lock.retainUntil();
    if (mode == null || until == null) {
      throw S3Error.NO_SUCH_OBJECT_LOCK_CONFIGURATION.exception();
    }
    Replies.xml(
        exchange,
        Xml.document("Retention")
            .element("Mode", mode.name())
            .element("RetainUntilDate", date(until))
            .close("Retention"));
  }

  void putRetention(
      S3Request request, String bucket, String key, Exchange exchange, Authentication auth)
      throws IOException {
    versionLock(request, bucket, key); // a bucket with Object Lock, and the version there
    XmlRequests.Retention asked =
        XmlRequests.retention(Bodies.small(request, exchange, auth, MAX_DOCUMENT));
    ObjectLock.Mode mode = asked.mode() == null ? null : mode(asked.mode(), true);
    Instant until = asked.retainUntil() == null ? null : parseDate(asked.retainUntil(), true);
    if ((mode == null) != (until == null)) {
      throw S3Error.MALFORMED_XML.exception();
    }
    if (until != null && !until.isAfter(clock.instant())) {
      throw S3Error.INVALID_ARGUMENT.exception("The retain until date must be in the future!");
    }
    gateway.setLock(
        bucket,
        key,
        ObjectOperations.versionId(request),
        lock -> lock.withRetention(mode, until),
        bypass(request));
    Replies.empty(exchange, HttpResponseStatus.OK);
  }

  void getLegalHold(S3Request request, String bucket, String key, Exchange exchange)
      throws IOException {
    ObjectLock lock = versionLock(request, bucket, key);
    Replies.xml(
        exchange,
        Xml.document("LegalHold")
            .element("Status", lock.legalHold() ? "ON" : "OFF")
            .close("LegalHold"));
  }

  void putLegalHold(
      S3Request request, String bucket, String key, Exchange exchange, Authentication auth)
      throws IOException {
    versionLock(request, bucket, key); // a bucket with Object Lock, and the version there
    String status = XmlRequests.legalHold(Bodies.small(request, exchange, auth, MAX_DOCUMENT));
    if (!status.equals("ON") && !status.equals("OFF")) {
      throw S3Error.MALFORMED_XML.exception();
    }
    boolean on = status.equals("ON");
    gateway.setLock(
        bucket, key, ObjectOperations.versionId(request), lock -> lock.withLegalHold(on), false);
    Replies.empty(exchange, HttpResponseStatus.OK);
  }

  /** The lock of the version a request names, in a bucket that must have Object Lock. */
  private ObjectLock versionLock(S3Request request, String bucket, String key) {
    gateway.headBucket(bucket);
    if (gateway.objectLock(bucket) == null) {
      throw noObjectLock();
    }
    return gateway.lock(bucket, key, ObjectOperations.versionId(request));
  }

  // ---- writes and reads

  /**
   * The metadata an object write stores: {@code metadata} with the lock its {@code
   * x-amz-object-lock-*} headers ask for (a bucket without Object Lock refuses them), or none, so
   * that the origin gives the version the bucket's default retention.
   */
  ObjectMetadata withRequested(S3Request request, String bucket, ObjectMetadata metadata) {
    String modeHeader = request.header("x-amz-object-lock-mode");
    String untilHeader = request.header("x-amz-object-lock-retain-until-date");
    String hold = request.header("x-amz-object-lock-legal-hold");
    if (modeHeader == null && untilHeader == null && hold == null) {
      return ObjectLock.into(metadata, ObjectLock.NONE);
    }
    if (gateway.objectLock(bucket) == null) {
      throw noObjectLock();
    }
    if ((modeHeader == null) != (untilHeader == null)) {
      throw S3Error.INVALID_ARGUMENT.exception(
          "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
    }
    ObjectLock.Mode mode = modeHeader == null ? null : mode(modeHeader, false);
    Instant until = untilHeader == null ? null : parseDate(untilHeader, false);
    if (until != null && !until.isAfter(clock.instant())) {
      throw S3Error.INVALID_ARGUMENT.exception("The retain until date must be in the future!");
    }
    if (hold != null && !hold.equals("ON") && !hold.equals("OFF")) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Legal Hold must be either of 'ON' or 'OFF'")
          .with("ArgumentName", "x-amz-object-lock-legal-hold")
          .with("ArgumentValue", hold);
    }
    return ObjectLock.into(metadata, new ObjectLock(mode, until, "ON".equals(hold)));
  }

  /** The lock headers of a HEAD or GET, for a version that has a lock. */
  static void describe(HttpHeaders headers, ObjectInfo info) {
    ObjectLock lock = ObjectLock.of(info.metadata());
    ObjectLock.Mode mode = lock.mode();
    Instant until = lock.retainUntil();
    if (mode != null && until != null) {
      headers.set("x-amz-object-lock-mode", mode.name());
      headers.set("x-amz-object-lock-retain-until-date", date(until));
    }
    if (lock.legalHold()) {
      headers.set("x-amz-object-lock-legal-hold", "ON");
    }
  }

  /** Whether the request says {@code x-amz-bypass-governance-retention: true}. */
  static boolean bypass(S3Request request) {
    String value = request.header(BYPASS);
    return value != null && value.trim().equalsIgnoreCase("true");
  }

  private static ObjectLock.Mode mode(String name, boolean inXml) {
    try {
      return ObjectLock.Mode.valueOf(name);
    } catch (IllegalArgumentException e) {
      if (inXml) {
        throw S3Error.MALFORMED_XML.exception();
      }
      throw S3Error.INVALID_ARGUMENT
          .exception("Unknown wormMode directive.")
          .with("ArgumentName", "x-amz-object-lock-mode")
          .with("ArgumentValue", name);
    }
  }

  private static Instant parseDate(String text, boolean inXml) {
    try {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text.trim(), Instant::from);
    } catch (DateTimeParseException e) {
      if (inXml) {
        throw S3Error.MALFORMED_XML.exception();
      }
      throw S3Error.INVALID_ARGUMENT
          .exception("The retain until date must be provided in ISO 8601 format")
          .with("ArgumentName", "x-amz-object-lock-retain-until-date")
          .with("ArgumentValue", text);
    }
  }

  /** A date as S3 writes a retention's: ISO 8601 in UTC, with milliseconds. */
  static String date(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(
        instant.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
  }
}
