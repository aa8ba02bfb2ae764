package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.object.Acl;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.site.Gateway;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Access control lists (docs/s3-api.md, ACLs; Amazon S3 User Guide, "Access control list (ACL)
 * overview" and "Controlling ownership of objects"): a bucket's ACL and its object ownership
 * setting are bucket settings, kept at the coordinator for every site; an object's ACL is kept with
 * the object, among its metadata under a name clients never see ({@link Acl#METADATA_NAME}), so it
 * is read and changed under the object's leases like the rest of its metadata.
 *
 * <p>A bucket whose ownership is {@code BucketOwnerEnforced} has ACLs disabled: only the owner's
 * may be set, and none is evaluated. Buckets start with ACLs enabled ({@code ObjectWriter}, as S3
 * buckets did before April 2023 and as Ceph's do) unless created otherwise.
 *
 * <p>Stateless beyond the gateway and the parsed documents' caches; thread-safe.
 */
final class AclOperations {
  static final String KIND = "acl";
  static final String OWNERSHIP = "ownershipControls";
  static final String ENFORCED = "BucketOwnerEnforced";
  private static final List<String> OWNERSHIPS =
      List.of(ENFORCED, "BucketOwnerPreferred", "ObjectWriter");
  private static final int MAX_DOCUMENT = 64 * 1024;

  /** The grant headers, each with the permission it grants. */
  private static final String[][] GRANT_HEADERS = {
    {"x-amz-grant-read", "READ"},
    {"x-amz-grant-write", "WRITE"},
    {"x-amz-grant-read-acp", "READ_ACP"},
    {"x-amz-grant-write-acp", "WRITE_ACP"},
    {"x-amz-grant-full-control", "FULL_CONTROL"}
  };

  private final Gateway gateway;
  private final String owner;
  private final KeyRing keys;
  private final PolicyOperations policies;
  private final BucketDocument<Acl> bucketAcls;
  private final BucketDocument<String> ownership;

  /**
   * @param keys the key pairs besides the owner's: a grant may name only an id one of them (or the
   *     owner) has
   */
  AclOperations(Gateway gateway, String owner, KeyRing keys, PolicyOperations policies) {
    this.gateway = gateway;
    this.owner = owner;
    this.keys = keys;
    this.policies = policies;
    this.bucketAcls =
        new BucketDocument<>(
            gateway,
            KIND,
            S3Error.INTERNAL_ERROR, // never answered: an unset ACL is the owner's
            "text/plain",
            (b, d) -> Acl.decode(new String(d, StandardCharsets.UTF_8)));
    this.ownership =
        new BucketDocument<>(
            gateway,
            OWNERSHIP,
            S3Error.OWNERSHIP_CONTROLS_NOT_FOUND,
            "application/xml",
            (b, d) -> XmlRequests.objectOwnership(d));
  }

  // ---- what a request asks for

  /**
   * The ACL a request's headers ask for: a canned {@code x-amz-acl}, or {@code x-amz-grant-*}
   * headers; null if it names none. {@code InvalidArgument} for a name that is no canned ACL or a
   * grantee that does not parse, {@code InvalidRequest} for both kinds at once.
   */
  @Nullable Acl requested(S3Request request) {
    String canned = request.header("x-amz-acl");
    List<Acl.Grant> grants = new ArrayList<>();
    for (String[] header : GRANT_HEADERS) {
      for (String value : request.headers(header[0])) {
        grants.addAll(grantees(header[0], value, Acl.Permission.valueOf(header[1])));
      }
    }
    if (canned != null && !grants.isEmpty()) {
      throw S3Error.INVALID_REQUEST.exception(
          "Specifying both Canned ACLs and Header Grants is not allowed");
    }
    if (canned != null) {
      Acl acl = Acl.canned(canned.trim(), owner);
      if (acl == null) {
        throw S3Error.INVALID_ARGUMENT
            .exception()
            .with("ArgumentName", "x-amz-acl")
            .with("ArgumentValue", canned);
      }
      return acl;
    }
    return grants.isEmpty() ? null : new Acl(grants);
  }

  /** The grantees of one grant header: {@code id="…"}, {@code uri="…"}, comma-separated. */
  private static List<Acl.Grant> grantees(String header, String value, Acl.Permission p) {
    List<Acl.Grant> out = new ArrayList<>();
    for (String item : value.split(",")) {
      String entry = item.trim();
      int eq = entry.indexOf('=');
      if (eq < 0) {
        throw badGrant(header, value);
      }
      String type = entry.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      String grantee = entry.substring(eq + 1).trim();
      if (grantee.length() >= 2 && grantee.startsWith("\"") && grantee.endsWith("\"")) {
        grantee = grantee.substring(1, grantee.length() - 1);
      }
      switch (type) {
        case "id" -> out.add(Acl.Grant.user(grantee, p));
        case "uri" -> {
          Acl.Group group = Acl.Group.ofUri(grantee);
          if (group == null) {
            throw badGrant(header, value);
          }
          out.add(Acl.Grant.group(group, p));
        }
        case "emailaddress" -> throw S3Error.UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS.exception();
        default -> throw badGrant(header, value);
      }
    }
    return out;
  }

  private static dev.leasehold.error.S3Exception badGrant(String header, String value) {
    return S3Error.INVALID_ARGUMENT
        .exception("Invalid grantee in " + header + ".")
        .with("ArgumentName", header)
        .with("ArgumentValue", value);
  }

  /**
   * Refuses an ACL the bucket cannot take: beyond the owner's where ACLs are disabled ({@code
   * AccessControlListNotSupported}), or public where the public access block says {@code
   * BlockPublicAcls} (403 {@code AccessDenied}).
   */
  void checkSettable(String bucket, Acl acl) {
    for (Acl.Grant g : acl.grants()) {
      String id = g.userId();
      if (id != null && !id.equals(owner) && keys.find(id) == null) {
        throw S3Error.INVALID_ARGUMENT
            .exception("Invalid id")
            .with("ArgumentName", "CanonicalUser/ID")
            .with("ArgumentValue", id);
      }
    }
    if (enforced(bucket) && !acl.isOwnerOnly(owner)) {
      throw S3Error.ACCESS_CONTROL_LIST_NOT_SUPPORTED.exception();
    }
    if (acl.isPublic() && policies.blocksPublicAcls(bucket)) {
      throw S3Error.ACCESS_DENIED.exception();
    }
  }

  /**
   * The metadata an object write stores: {@code metadata} with the ACL the request asks for, kept
   * where clients never see it (the owner's alone is kept as no entry at all).
   */
  ObjectMetadata withRequested(S3Request request, String bucket, ObjectMetadata metadata) {
    Acl acl = requested(request);
    if (acl == null) {
      return metadata.withUserEntry(Acl.METADATA_NAME, null);
    }
    checkSettable(bucket, acl);
    return metadata.withUserEntry(Acl.METADATA_NAME, acl.isOwnerOnly(owner) ? null : acl.encoded());
  }

  // ---- CreateBucket

  /**
   * Before a bucket is made: its ACL and ownership headers must agree (a public or granted ACL on a
   * bucket created {@code BucketOwnerEnforced} is {@code InvalidBucketAclWithObjectOwnership}).
   */
  @Nullable Acl forNewBucket(S3Request request) {
    Acl acl = requested(request);
    String asked = request.header("x-amz-object-ownership");
    if (asked != null && !OWNERSHIPS.contains(asked)) {
      throw S3Error.INVALID_ARGUMENT
          .exception("Invalid x-amz-object-ownership header: " + asked)
          .with("ArgumentName", "x-amz-object-ownership")
          .with("ArgumentValue", asked);
    }
    if (ENFORCED.equals(asked) && acl != null && !acl.isOwnerOnly(owner)) {
      throw S3Error.INVALID_BUCKET_ACL_WITH_OBJECT_OWNERSHIP.exception();
    }
    return acl;
  }

  /** After a bucket is made: keeps what {@link #forNewBucket} allowed. */
  void created(String bucket, S3Request request, @Nullable Acl acl) {
    String asked = request.header("x-amz-object-ownership");
    if (asked != null) {
      gateway.setBucketSetting(bucket, OWNERSHIP, ownershipDocument(asked));
    }
    if (acl != null && !acl.isOwnerOnly(owner)) {
      if (acl.isPublic() && policies.blocksPublicAcls(bucket)) {
        throw S3Error.ACCESS_DENIED.exception();
      }
      gateway.setBucketSetting(bucket, KIND, acl.encoded().getBytes(StandardCharsets.UTF_8));
    }
  }

  // ---- the ACL sub-resources

  void getBucketAcl(String bucket, Exchange exchange) throws IOException {
    gateway.headBucket(bucket);
    Replies.xml(exchange, render(bucketAcl(bucket)));
  }

  void putBucketAcl(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    Acl acl = given(request, exchange, auth);
    checkSettable(bucket, acl);
    // An ACL granting nobody anything is kept as such: the owner's key keeps its rights anyway.
    gateway.setBucketSetting(
        bucket,
        KIND,
        acl.isOwnerOnly(owner) ? null : acl.encoded().getBytes(StandardCharsets.UTF_8));
    Replies.empty(exchange, HttpResponseStatus.OK);
  }

  void getObjectAcl(S3Request request, String bucket, String key, Exchange exchange)
      throws IOException {
    ObjectInfo info = object(request, bucket, key);
    Acl acl = Acl.of(info.metadata());
    io.netty.handler.codec.http.HttpHeaders headers =
        new io.netty.handler.codec.http.DefaultHttpHeaders();
    ObjectHeaders.version(headers, info);
    Replies.xml(
        exchange, HttpResponseStatus.OK, headers, render(acl == null ? Acl.ownerOnly(owner) : acl));
  }

  void putObjectAcl(
      S3Request request, String bucket, String key, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    String versionId = ObjectOperations.versionId(request);
    Acl acl = given(request, exchange, auth);
    checkSettable(bucket, acl);
    ObjectInfo info =
        gateway.setObjectEntry(
            bucket,
            key,
            versionId,
            Acl.METADATA_NAME,
            acl.isOwnerOnly(owner) ? null : acl.encoded());
    io.netty.handler.codec.http.HttpHeaders headers =
        new io.netty.handler.codec.http.DefaultHttpHeaders();
    ObjectHeaders.version(headers, info);
    Replies.empty(exchange, HttpResponseStatus.OK, headers);
  }

  /** The ACL a PutBucketAcl or PutObjectAcl sets: from its headers, else from its body. */
  private Acl given(S3Request request, Exchange exchange, Authentication auth) {
    Acl acl = requested(request);
    if (acl != null) {
      return acl;
    }
    byte[] body = Bodies.small(request, exchange, auth, MAX_DOCUMENT);
    if (body.length == 0) {
      throw S3Error.MISSING_REQUEST_BODY.exception();
    }
    return new Acl(XmlRequests.accessControlPolicy(body));
  }

  void getOwnership(String bucket, Exchange exchange) throws IOException {
    ownership.get(bucket, exchange);
  }

  void putOwnership(S3Request request, String bucket, Exchange exchange, Authentication auth)
      throws IOException {
    gateway.headBucket(bucket);
    String asked = XmlRequests.objectOwnership(Bodies.small(request, exchange, auth, MAX_DOCUMENT));
    if (!OWNERSHIPS.contains(asked)) {
      throw S3Error.MALFORMED_XML.exception();
    }
    if (asked.equals(ENFORCED) && !bucketAcl(bucket).isOwnerOnly(owner)) {
      // S3 refuses to disable ACLs while the bucket's own ACL grants others anything.
      throw S3Error.INVALID_BUCKET_ACL_WITH_OBJECT_OWNERSHIP.exception();
    }
    ownership.put(bucket, ownershipDocument(asked), exchange, HttpResponseStatus.OK);
  }

  void deleteOwnership(String bucket, Exchange exchange) throws IOException {
    ownership.delete(bucket, exchange);
  }

  private static byte[] ownershipDocument(String setting) {
    return Xml.document("OwnershipControls")
        .open("Rule")
        .element("ObjectOwnership", setting)
        .close("Rule")
        .close("OwnershipControls")
        .bytes();
  }

  // ---- decisions

  /** Whether the bucket has ACLs disabled (its ownership is {@code BucketOwnerEnforced}). */
  boolean enforced(String bucket) {
    return ENFORCED.equals(ownership.of(bucket));
  }

  /** The bucket's ACL: as set, or its owner's alone. */
  Acl bucketAcl(String bucket) {
    Acl acl = bucketAcls.of(bucket);
    return acl == null ? Acl.ownerOnly(owner) : acl;
  }

  /**
   * Whether the ACLs grant the signer (or an anonymous caller) {@code op}: the bucket's for
   * listings, writes of its keys and its own ACL; the object's for reads of it and its ACL. None
   * counts where ACLs are disabled; public grants count for nothing under {@code IgnorePublicAcls}.
   * An object's ACL is read as a HEAD reads (under its lease); a missing object grants nothing.
   */
  boolean grants(
      Authentication auth, S3Operation op, String bucket, @Nullable String key, S3Request request) {
    if (enforced(bucket)) {
      return false;
    }
    String who = auth.anonymous() ? null : auth.accessKey();
    boolean ignorePublic = policies.ignoresPublicAcls(bucket);
    if (op == S3Operation.DELETE_OBJECT && request.param("versionId") != null) {
      return false; // s3:DeleteObjectVersion: no ACL grant gives it to anyone but the owner
    }
    Acl.Permission onBucket = bucketPermission(op);
    if (onBucket != null) {
      return bucketAcl(bucket).allows(who, onBucket, ignorePublic);
    }
    Acl.Permission onObject = objectPermission(op);
    if (onObject == null || key == null) {
      return false;
    }
    return objectGrants(
        who, bucket, key, ObjectOperations.versionId(request), onObject, ignorePublic);
  }

  /** Whether {@code key}'s ACL grants READ to the signer: for the source of a copy. */
  boolean grantsRead(Authentication auth, String bucket, String key, @Nullable String versionId) {
    return !enforced(bucket)
        && objectGrants(
            auth.anonymous() ? null : auth.accessKey(),
            bucket,
            key,
            versionId,
            Acl.Permission.READ,
            policies.ignoresPublicAcls(bucket));
  }

  /** Whether the bucket's ACL lets the signer write (delete) its keys: for DeleteObjects. */
  boolean grantsWrite(Authentication auth, String bucket) {
    return !enforced(bucket)
        && bucketAcl(bucket)
            .allows(
                auth.anonymous() ? null : auth.accessKey(),
                Acl.Permission.WRITE,
                policies.ignoresPublicAcls(bucket));
  }

  private boolean objectGrants(
      @Nullable String who,
      String bucket,
      String key,
      @Nullable String versionId,
      Acl.Permission permission,
      boolean ignorePublic) {
    ObjectInfo info;
    try {
      info = ObjectOperations.head(gateway, bucket, key, versionId);
    } catch (dev.leasehold.error.S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_BUCKET) {
        throw e; // as S3 answers everyone for a bucket that does not exist
      }
      if (e.error() == S3Error.NO_SUCH_KEY && permission == Acl.Permission.READ) {
        // One who may list the bucket may learn that the key is not there (S3 answers 404).
        return bucketAcl(bucket).allows(who, Acl.Permission.READ, ignorePublic);
      }
      if (e.error().status() == 404 || e.error().status() == 405 || e.error().status() == 400) {
        return false; // nothing there grants anything
      }
      throw e;
    }
    Acl acl = Acl.of(info.metadata());
    return acl != null && acl.allows(who, permission, ignorePublic);
  }

  /** The permission an operation needs on the bucket's ACL, or null if it is not the bucket's. */
  private static Acl.@Nullable Permission bucketPermission(S3Operation op) {
    return switch (op) {
      case LIST_OBJECTS,
          LIST_OBJECTS_V2,
          LIST_OBJECT_VERSIONS,
          LIST_MULTIPART_UPLOADS,
          HEAD_BUCKET,
          GET_BUCKET_LOCATION ->
          Acl.Permission.READ;
      case PUT_OBJECT,
          POST_OBJECT,
          DELETE_OBJECT,
          DELETE_OBJECTS,
          CREATE_MULTIPART_UPLOAD,
          UPLOAD_PART,
          COMPLETE_MULTIPART_UPLOAD,
          ABORT_MULTIPART_UPLOAD,
          LIST_PARTS ->
          Acl.Permission.WRITE;
      case GET_BUCKET_ACL -> Acl.Permission.READ_ACP;
      case PUT_BUCKET_ACL -> Acl.Permission.WRITE_ACP;
      default -> null;
    };
  }

  /** The permission an operation needs on the object's ACL, or null. */
  private static Acl.@Nullable Permission objectPermission(S3Operation op) {
    return switch (op) {
      case GET_OBJECT, HEAD_OBJECT, GET_OBJECT_ATTRIBUTES -> Acl.Permission.READ;
      case GET_OBJECT_ACL -> Acl.Permission.READ_ACP;
      case PUT_OBJECT_ACL -> Acl.Permission.WRITE_ACP;
      default -> null;
    };
  }

  // ---- rendering

  /** An AccessControlPolicy document, as GetBucketAcl and GetObjectAcl answer. */
  Xml render(Acl acl) {
    Xml xml = Xml.document("AccessControlPolicy");
    xml.open("Owner").element("ID", owner).element("DisplayName", owner).close("Owner");
    xml.open("AccessControlList");
    // Grants to groups first, then to users, as S3 lists a canned ACL's (and as clients that sort
    // grants by display name expect: a group has none).
    List<Acl.Grant> ordered = new ArrayList<>(acl.grants());
    ordered.sort(java.util.Comparator.comparing(g -> g.group() == null));
    for (Acl.Grant g : ordered) {
      xml.open("Grant");
      Acl.Group group = g.group();
      String id = g.userId();
      if (group != null) {
        xml.openWith("Grantee", XSI + " xsi:type=\"Group\"").element("URI", group.uri());
      } else if (id != null) {
        // Every key's display name is its id: there are no account names here.
        xml.openWith("Grantee", XSI + " xsi:type=\"CanonicalUser\"")
            .element("ID", id)
            .element("DisplayName", id);
      }
      xml.close("Grantee").element("Permission", g.permission().name()).close("Grant");
    }
    return xml.close("AccessControlList").close("AccessControlPolicy");
  }

  private static final String XSI = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

  /** The object an ACL operation names: its latest version, or the one {@code versionId} names. */
  private ObjectInfo object(S3Request request, String bucket, String key) {
    return ObjectOperations.head(gateway, bucket, key, ObjectOperations.versionId(request));
  }
}
