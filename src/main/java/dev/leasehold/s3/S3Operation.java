package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import io.netty.handler.codec.http.HttpMethod;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The S3 operation a request asks for, named as AWS names it: picked from the method, the bucket
 * and key, and the query, in one place, so that the dispatcher, metrics and logs agree. Every
 * sub-resource operation has a name of its own, including those answered by {@link Subresources}
 * (empty configurations, refusals) rather than implemented.
 */
enum S3Operation {
  LIST_BUCKETS("ListBuckets", false),
  GET_BUCKET_LOCATION("GetBucketLocation", false),
  GET_BUCKET_VERSIONING("GetBucketVersioning", false),
  LIST_MULTIPART_UPLOADS("ListMultipartUploads", false),
  LIST_OBJECT_VERSIONS("ListObjectVersions", false),
  LIST_OBJECTS_V2("ListObjectsV2", false),
  LIST_OBJECTS("ListObjects", false),
  CREATE_BUCKET("CreateBucket", true),
  DELETE_BUCKET("DeleteBucket", true),
  HEAD_BUCKET("HeadBucket", false),
  DELETE_OBJECTS("DeleteObjects", true),
  LIST_PARTS("ListParts", false),
  GET_OBJECT("GetObject", false),
  HEAD_OBJECT("HeadObject", false),
  UPLOAD_PART("UploadPart", true),
  PUT_OBJECT("PutObject", true),
  ABORT_MULTIPART_UPLOAD("AbortMultipartUpload", true),
  DELETE_OBJECT("DeleteObject", true),
  CREATE_MULTIPART_UPLOAD("CreateMultipartUpload", true),
  COMPLETE_MULTIPART_UPLOAD("CompleteMultipartUpload", true),
  /** A browser's form upload (POST Object): signed, if at all, by its form's policy. */
  POST_OBJECT("PostObject", true),
  /** A browser's CORS preflight ({@code OPTIONS}): unsigned, as browsers send it. */
  PREFLIGHT("Preflight", false),

  // Sub-resources, routed as "bucket|object METHOD sub-resource" (a trailing * is the listing of
  // a bucket's configurations: a GET without an id).
  PUT_BUCKET_VERSIONING("PutBucketVersioning", "bucket PUT versioning", true),
  GET_BUCKET_ACL("GetBucketAcl", "bucket GET acl", true),
  PUT_BUCKET_ACL("PutBucketAcl", "bucket PUT acl", true),
  GET_BUCKET_CORS("GetBucketCors", "bucket GET cors", true),
  PUT_BUCKET_CORS("PutBucketCors", "bucket PUT cors", true),
  DELETE_BUCKET_CORS("DeleteBucketCors", "bucket DELETE cors", true),
  GET_BUCKET_POLICY("GetBucketPolicy", "bucket GET policy", true),
  PUT_BUCKET_POLICY("PutBucketPolicy", "bucket PUT policy", true),
  DELETE_BUCKET_POLICY("DeleteBucketPolicy", "bucket DELETE policy", true),
  GET_BUCKET_POLICY_STATUS("GetBucketPolicyStatus", "bucket GET policyStatus", true),
  GET_BUCKET_LIFECYCLE("GetBucketLifecycleConfiguration", "bucket GET lifecycle"),
  PUT_BUCKET_LIFECYCLE("PutBucketLifecycleConfiguration", "bucket PUT lifecycle"),
  DELETE_BUCKET_LIFECYCLE("DeleteBucketLifecycle", "bucket DELETE lifecycle"),
  GET_BUCKET_TAGGING("GetBucketTagging", "bucket GET tagging", true),
  PUT_BUCKET_TAGGING("PutBucketTagging", "bucket PUT tagging", true),
  DELETE_BUCKET_TAGGING("DeleteBucketTagging", "bucket DELETE tagging", true),
  GET_BUCKET_ENCRYPTION("GetBucketEncryption", "bucket GET encryption"),
  PUT_BUCKET_ENCRYPTION("PutBucketEncryption", "bucket PUT encryption"),
  DELETE_BUCKET_ENCRYPTION("DeleteBucketEncryption", "bucket DELETE encryption"),
  GET_BUCKET_WEBSITE("GetBucketWebsite", "bucket GET website"),
  PUT_BUCKET_WEBSITE("PutBucketWebsite", "bucket PUT website"),
  DELETE_BUCKET_WEBSITE("DeleteBucketWebsite", "bucket DELETE website"),
  GET_BUCKET_LOGGING("GetBucketLogging", "bucket GET logging"),
  PUT_BUCKET_LOGGING("PutBucketLogging", "bucket PUT logging"),
  GET_BUCKET_NOTIFICATION("GetBucketNotificationConfiguration", "bucket GET notification"),
  PUT_BUCKET_NOTIFICATION("PutBucketNotificationConfiguration", "bucket PUT notification"),
  GET_BUCKET_REPLICATION("GetBucketReplication", "bucket GET replication"),
  PUT_BUCKET_REPLICATION("PutBucketReplication", "bucket PUT replication"),
  DELETE_BUCKET_REPLICATION("DeleteBucketReplication", "bucket DELETE replication"),
  GET_BUCKET_REQUEST_PAYMENT("GetBucketRequestPayment", "bucket GET requestPayment"),
  PUT_BUCKET_REQUEST_PAYMENT("PutBucketRequestPayment", "bucket PUT requestPayment"),
  GET_BUCKET_ACCELERATE("GetBucketAccelerateConfiguration", "bucket GET accelerate"),
  PUT_BUCKET_ACCELERATE("PutBucketAccelerateConfiguration", "bucket PUT accelerate"),
  GET_OBJECT_LOCK_CONFIGURATION("GetObjectLockConfiguration", "bucket GET object-lock", true),
  PUT_OBJECT_LOCK_CONFIGURATION("PutObjectLockConfiguration", "bucket PUT object-lock", true),
  GET_PUBLIC_ACCESS_BLOCK("GetPublicAccessBlock", "bucket GET publicAccessBlock", true),
  PUT_PUBLIC_ACCESS_BLOCK("PutPublicAccessBlock", "bucket PUT publicAccessBlock", true),
  DELETE_PUBLIC_ACCESS_BLOCK("DeletePublicAccessBlock", "bucket DELETE publicAccessBlock", true),
  GET_BUCKET_OWNERSHIP_CONTROLS("GetBucketOwnershipControls", "bucket GET ownershipControls", true),
  PUT_BUCKET_OWNERSHIP_CONTROLS("PutBucketOwnershipControls", "bucket PUT ownershipControls", true),
  DELETE_BUCKET_OWNERSHIP_CONTROLS(
      "DeleteBucketOwnershipControls", "bucket DELETE ownershipControls", true),
  GET_BUCKET_ANALYTICS("GetBucketAnalyticsConfiguration", "bucket GET analytics"),
  LIST_BUCKET_ANALYTICS("ListBucketAnalyticsConfigurations", "bucket GET analytics*"),
  PUT_BUCKET_ANALYTICS("PutBucketAnalyticsConfiguration", "bucket PUT analytics"),
  DELETE_BUCKET_ANALYTICS("DeleteBucketAnalyticsConfiguration", "bucket DELETE analytics"),
  GET_BUCKET_INVENTORY("GetBucketInventoryConfiguration", "bucket GET inventory"),
  LIST_BUCKET_INVENTORY("ListBucketInventoryConfigurations", "bucket GET inventory*"),
  PUT_BUCKET_INVENTORY("PutBucketInventoryConfiguration", "bucket PUT inventory"),
  DELETE_BUCKET_INVENTORY("DeleteBucketInventoryConfiguration", "bucket DELETE inventory"),
  GET_BUCKET_METRICS("GetBucketMetricsConfiguration", "bucket GET metrics"),
  LIST_BUCKET_METRICS("ListBucketMetricsConfigurations", "bucket GET metrics*"),
  PUT_BUCKET_METRICS("PutBucketMetricsConfiguration", "bucket PUT metrics"),
  DELETE_BUCKET_METRICS("DeleteBucketMetricsConfiguration", "bucket DELETE metrics"),
  GET_BUCKET_TIERING("GetBucketIntelligentTieringConfiguration", "bucket GET intelligent-tiering"),
  LIST_BUCKET_TIERING(
      "ListBucketIntelligentTieringConfigurations", "bucket GET intelligent-tiering*"),
  PUT_BUCKET_TIERING("PutBucketIntelligentTieringConfiguration", "bucket PUT intelligent-tiering"),
  DELETE_BUCKET_TIERING(
      "DeleteBucketIntelligentTieringConfiguration", "bucket DELETE intelligent-tiering"),
  GET_BUCKET_METADATA_TABLE("GetBucketMetadataTableConfiguration", "bucket GET metadataTable"),
  CREATE_BUCKET_METADATA_TABLE(
      "CreateBucketMetadataTableConfiguration", "bucket POST metadataTable"),
  DELETE_BUCKET_METADATA_TABLE(
      "DeleteBucketMetadataTableConfiguration", "bucket DELETE metadataTable"),
  CREATE_SESSION("CreateSession", "bucket GET session"),

  // Sub-resources of an object.
  GET_OBJECT_ACL("GetObjectAcl", "object GET acl", true),
  PUT_OBJECT_ACL("PutObjectAcl", "object PUT acl", true),
  GET_OBJECT_TAGGING("GetObjectTagging", "object GET tagging", true),
  PUT_OBJECT_TAGGING("PutObjectTagging", "object PUT tagging", true),
  DELETE_OBJECT_TAGGING("DeleteObjectTagging", "object DELETE tagging", true),
  GET_OBJECT_RETENTION("GetObjectRetention", "object GET retention", true),
  PUT_OBJECT_RETENTION("PutObjectRetention", "object PUT retention", true),
  GET_OBJECT_LEGAL_HOLD("GetObjectLegalHold", "object GET legal-hold", true),
  PUT_OBJECT_LEGAL_HOLD("PutObjectLegalHold", "object PUT legal-hold", true),
  GET_OBJECT_ATTRIBUTES("GetObjectAttributes", "object GET attributes", true),
  GET_OBJECT_TORRENT("GetObjectTorrent", "object GET torrent"),
  RESTORE_OBJECT("RestoreObject", "object POST restore"),
  SELECT_OBJECT_CONTENT("SelectObjectContent", "object POST select"),
  RENAME_OBJECT("RenameObject", "object PUT renameObject");

  /** The core operations on an object. */
  private static final java.util.Set<S3Operation> OBJECT_CORE =
      java.util.EnumSet.of(
          LIST_PARTS,
          GET_OBJECT,
          HEAD_OBJECT,
          UPLOAD_PART,
          PUT_OBJECT,
          ABORT_MULTIPART_UPLOAD,
          DELETE_OBJECT,
          CREATE_MULTIPART_UPLOAD,
          COMPLETE_MULTIPART_UPLOAD);

  /** The label of a request that never got as far as an operation (bad path, no such method). */
  static final String NONE = "None";

  /** Sub-resources whose GET without an {@code id} lists the bucket's configurations. */
  private static final java.util.Set<String> LISTED =
      java.util.Set.of("analytics", "inventory", "metrics", "intelligent-tiering");

  /** The sub-resource operations by route. */
  private static final Map<String, S3Operation> ROUTES = new HashMap<>();

  /** Every sub-resource either map knows: a request naming one is that sub-resource's. */
  private static final java.util.Set<String> SUBRESOURCES = new java.util.HashSet<>();

  static {
    for (S3Operation op : values()) {
      if (op.route != null) {
        ROUTES.put(op.route, op);
        String sub = op.route.substring(op.route.lastIndexOf(' ') + 1);
        SUBRESOURCES.add(sub.endsWith("*") ? sub.substring(0, sub.length() - 1) : sub);
      }
    }
    ROUTES.put("bucket GET versioning", GET_BUCKET_VERSIONING); // a core operation, routed alike
  }

  private final String awsName;
  private final boolean writes;

  /** "bucket|object METHOD sub-resource" for a sub-resource operation, null for the others. */
  private final @Nullable String route;

  /** Whether the core operations serve it, though routed by a sub-resource. */
  private final boolean core;

  S3Operation(String awsName, boolean writes) {
    this.awsName = awsName;
    this.writes = writes;
    this.route = null;
    this.core = true;
  }

  /** A sub-resource operation: it writes unless it is a GET. */
  S3Operation(String awsName, String route) {
    this(awsName, route, false);
  }

  S3Operation(String awsName, String route, boolean core) {
    this.awsName = awsName;
    this.writes = !route.contains(" GET ");
    this.route = route;
    this.core = core;
  }

  String awsName() {
    return awsName;
  }

  /**
   * The action a policy names it by (Amazon S3 User Guide, "Policy actions for Amazon S3"): most
   * are {@code s3:} and the operation's name; reads of a bucket's contents are {@code
   * s3:ListBucket...}, the parts of an upload {@code s3:PutObject}, and a configuration's get and
   * put their own older names.
   */
  String iamAction() {
    return switch (this) {
      case HEAD_OBJECT -> "s3:GetObject";
      case HEAD_BUCKET, LIST_OBJECTS, LIST_OBJECTS_V2 -> "s3:ListBucket";
      case LIST_OBJECT_VERSIONS -> "s3:ListBucketVersions";
      case LIST_MULTIPART_UPLOADS -> "s3:ListBucketMultipartUploads";
      case LIST_PARTS -> "s3:ListMultipartUploadParts";
      case LIST_BUCKETS -> "s3:ListAllMyBuckets";
      case CREATE_MULTIPART_UPLOAD, UPLOAD_PART, COMPLETE_MULTIPART_UPLOAD -> "s3:PutObject";
      case DELETE_OBJECTS -> "s3:DeleteObject";
      case GET_BUCKET_CORS -> "s3:GetBucketCORS";
      case PUT_BUCKET_CORS, DELETE_BUCKET_CORS -> "s3:PutBucketCORS";
      case GET_BUCKET_LIFECYCLE -> "s3:GetLifecycleConfiguration";
      case PUT_BUCKET_LIFECYCLE, DELETE_BUCKET_LIFECYCLE -> "s3:PutLifecycleConfiguration";
      case GET_BUCKET_TAGGING -> "s3:GetBucketTagging";
      case PUT_BUCKET_TAGGING, DELETE_BUCKET_TAGGING -> "s3:PutBucketTagging";
      case DELETE_OBJECT_TAGGING -> "s3:DeleteObjectTagging";
      case GET_BUCKET_ENCRYPTION -> "s3:GetEncryptionConfiguration";
      case PUT_BUCKET_ENCRYPTION, DELETE_BUCKET_ENCRYPTION -> "s3:PutEncryptionConfiguration";
      case GET_BUCKET_REPLICATION -> "s3:GetReplicationConfiguration";
      case PUT_BUCKET_REPLICATION, DELETE_BUCKET_REPLICATION -> "s3:PutReplicationConfiguration";
      case GET_BUCKET_NOTIFICATION -> "s3:GetBucketNotification";
      case PUT_BUCKET_NOTIFICATION -> "s3:PutBucketNotification";
      case GET_BUCKET_ACCELERATE -> "s3:GetAccelerateConfiguration";
      case PUT_BUCKET_ACCELERATE -> "s3:PutAccelerateConfiguration";
      case GET_PUBLIC_ACCESS_BLOCK -> "s3:GetBucketPublicAccessBlock";
      case PUT_PUBLIC_ACCESS_BLOCK, DELETE_PUBLIC_ACCESS_BLOCK -> "s3:PutBucketPublicAccessBlock";
      case GET_BUCKET_OWNERSHIP_CONTROLS -> "s3:GetBucketOwnershipControls";
      case PUT_BUCKET_OWNERSHIP_CONTROLS, DELETE_BUCKET_OWNERSHIP_CONTROLS ->
          "s3:PutBucketOwnershipControls";
      case GET_BUCKET_ANALYTICS, LIST_BUCKET_ANALYTICS -> "s3:GetAnalyticsConfiguration";
      case PUT_BUCKET_ANALYTICS, DELETE_BUCKET_ANALYTICS -> "s3:PutAnalyticsConfiguration";
      case GET_BUCKET_INVENTORY, LIST_BUCKET_INVENTORY -> "s3:GetInventoryConfiguration";
      case PUT_BUCKET_INVENTORY, DELETE_BUCKET_INVENTORY -> "s3:PutInventoryConfiguration";
      case GET_BUCKET_METRICS, LIST_BUCKET_METRICS -> "s3:GetMetricsConfiguration";
      case PUT_BUCKET_METRICS, DELETE_BUCKET_METRICS -> "s3:PutMetricsConfiguration";
      case GET_BUCKET_TIERING, LIST_BUCKET_TIERING -> "s3:GetIntelligentTieringConfiguration";
      case PUT_BUCKET_TIERING, DELETE_BUCKET_TIERING -> "s3:PutIntelligentTieringConfiguration";
      case GET_OBJECT_LOCK_CONFIGURATION -> "s3:GetBucketObjectLockConfiguration";
      case PUT_OBJECT_LOCK_CONFIGURATION -> "s3:PutBucketObjectLockConfiguration";
      case DELETE_BUCKET_WEBSITE -> "s3:DeleteBucketWebsite";
      case PUT_BUCKET_REQUEST_PAYMENT -> "s3:PutBucketRequestPayment";
      case SELECT_OBJECT_CONTENT -> "s3:GetObject";
      default -> "s3:" + awsName;
    };
  }

  /**
   * The action a policy names it by when the request names a version ({@code ?versionId=}): reads
   * and deletes of a version are actions of their own.
   */
  String iamAction(boolean ofVersion) {
    if (!ofVersion) {
      return iamAction();
    }
    return switch (this) {
      case GET_OBJECT, HEAD_OBJECT -> "s3:GetObjectVersion";
      case DELETE_OBJECT -> "s3:DeleteObjectVersion";
      case GET_OBJECT_ATTRIBUTES -> "s3:GetObjectVersionAttributes";
      case GET_OBJECT_ACL -> "s3:GetObjectVersionAcl";
      case PUT_OBJECT_ACL -> "s3:PutObjectVersionAcl";
      case GET_OBJECT_TAGGING -> "s3:GetObjectVersionTagging";
      case PUT_OBJECT_TAGGING -> "s3:PutObjectVersionTagging";
      case DELETE_OBJECT_TAGGING -> "s3:DeleteObjectVersionTagging";
      default -> iamAction();
    };
  }

  /** Whether the operation names an object (its policy resource is the object's ARN). */
  boolean onObject() {
    return route != null ? route.startsWith("object ") : OBJECT_CORE.contains(this);
  }

  /**
   * Whether an anonymous caller may ever be let in by a bucket policy: the operations on objects
   * and listings. A bucket's configuration (its policy, CORS rules, access block, tags, ...) is the
   * owner's account's alone, as in S3, whatever a policy says.
   */
  boolean opensToEveryone() {
    return switch (this) {
      case GET_OBJECT,
          HEAD_OBJECT,
          GET_OBJECT_ATTRIBUTES,
          PUT_OBJECT,
          POST_OBJECT,
          DELETE_OBJECT,
          DELETE_OBJECTS,
          CREATE_MULTIPART_UPLOAD,
          UPLOAD_PART,
          COMPLETE_MULTIPART_UPLOAD,
          ABORT_MULTIPART_UPLOAD,
          LIST_PARTS,
          LIST_MULTIPART_UPLOADS,
          LIST_OBJECTS,
          LIST_OBJECTS_V2,
          LIST_OBJECT_VERSIONS,
          HEAD_BUCKET,
          GET_BUCKET_LOCATION ->
          true;
      default -> false;
    };
  }

  /** Whether the operation changes a bucket or an object (a read-only key may not ask for it). */
  boolean writes() {
    return writes;
  }

  /** Whether {@link Subresources} answers it rather than one of the core operations' classes. */
  boolean subresource() {
    return !core;
  }

  /**
   * The operation {@code request} asks for. Copies (PutObject, UploadPart with a copy source) are
   * named as the operation they ride on.
   *
   * @throws S3Exception {@code MethodNotAllowed} for a method the resource does not take
   */
  static S3Operation of(S3Request request) {
    HttpMethod method = request.method();
    if (request.bucket() == null) {
      if (method.equals(HttpMethod.GET)) {
        return LIST_BUCKETS;
      }
      throw notAllowed(method);
    }
    if (method.equals(HttpMethod.OPTIONS)) {
      return PREFLIGHT;
    }
    boolean object = request.key() != null;
    // No sub-resource has a HEAD: HEAD is HeadBucket or HeadObject whatever the query holds.
    String sub = method.equals(HttpMethod.HEAD) ? null : subresource(request);
    if (sub != null) {
      String route = (object ? "object " : "bucket ") + method.name() + " " + sub;
      if (method.equals(HttpMethod.GET) && LISTED.contains(sub) && !request.has("id")) {
        route += "*";
      }
      S3Operation op = ROUTES.get(route);
      if (op == null) {
        throw notAllowed(method);
      }
      return op;
    }
    return object ? ofObject(request, method) : ofBucket(request, method);
  }

  /** The first sub-resource the query names, or null. */
  private static @Nullable String subresource(S3Request request) {
    for (var param : request.query()) {
      if (SUBRESOURCES.contains(param.getKey())) {
        return param.getKey();
      }
    }
    return null;
  }

  private static S3Operation ofBucket(S3Request request, HttpMethod method) {
    if (method.equals(HttpMethod.GET)) {
      if (request.has("location")) {
        return GET_BUCKET_LOCATION;
      } else if (request.has("uploads")) {
        return LIST_MULTIPART_UPLOADS;
      } else if (request.has("versions")) {
        return LIST_OBJECT_VERSIONS;
      } else if ("2".equals(request.param("list-type"))) {
        return LIST_OBJECTS_V2;
      }
      return LIST_OBJECTS;
    } else if (method.equals(HttpMethod.PUT)) {
      return CREATE_BUCKET;
    } else if (method.equals(HttpMethod.DELETE)) {
      return DELETE_BUCKET;
    } else if (method.equals(HttpMethod.HEAD)) {
      return HEAD_BUCKET;
    } else if (method.equals(HttpMethod.POST)) {
      return request.has("delete") ? DELETE_OBJECTS : POST_OBJECT;
    }
    throw notAllowed(method);
  }

  private static S3Operation ofObject(S3Request request, HttpMethod method) {
    boolean upload = request.has("uploadId");
    if (method.equals(HttpMethod.GET)) {
      return upload ? LIST_PARTS : GET_OBJECT;
    } else if (method.equals(HttpMethod.HEAD)) {
      return HEAD_OBJECT;
    } else if (method.equals(HttpMethod.PUT)) {
      return upload || request.has("partNumber") ? UPLOAD_PART : PUT_OBJECT;
    } else if (method.equals(HttpMethod.DELETE)) {
      return upload ? ABORT_MULTIPART_UPLOAD : DELETE_OBJECT;
    } else if (method.equals(HttpMethod.POST)) {
      if (request.has("uploads")) {
        return CREATE_MULTIPART_UPLOAD;
      } else if (upload) {
        return COMPLETE_MULTIPART_UPLOAD;
      }
    }
    throw notAllowed(method);
  }

  static S3Exception notAllowed(HttpMethod method) {
    return S3Error.METHOD_NOT_ALLOWED
        .exception()
        .with("Method", method.name())
        .with("ResourceType", "OBJECT");
  }
}
