package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import io.netty.handler.codec.http.HttpMethod;

/**
 * The S3 operation a request asks for, named as AWS names it: picked from the method, the bucket
 * and key, and the query, in one place, so that the dispatcher, metrics and logs agree.
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
  COMPLETE_MULTIPART_UPLOAD("CompleteMultipartUpload", true);

  /** The label of a request that never got as far as an operation (bad path, no such method). */
  static final String NONE = "None";

  private final String awsName;
  private final boolean writes;

  S3Operation(String awsName, boolean writes) {
    this.awsName = awsName;
    this.writes = writes;
  }

  String awsName() {
    return awsName;
  }

  /** Whether the operation changes a bucket or an object (a read-only key may not ask for it). */
  boolean writes() {
    return writes;
  }

  /**
   * The operation {@code request} asks for. Copies (PutObject, UploadPart with a copy source) are
   * named as the operation they ride on.
   *
   * @throws S3Exception {@code MethodNotAllowed} for a method the resource does not take, or {@code
   *     NotImplemented} for bucket versioning
   */
  static S3Operation of(S3Request request) {
    HttpMethod method = request.method();
    if (request.bucket() == null) {
      if (method.equals(HttpMethod.GET)) {
        return LIST_BUCKETS;
      }
      throw notAllowed(method);
    }
    return request.key() == null ? ofBucket(request, method) : ofObject(request, method);
  }

  private static S3Operation ofBucket(S3Request request, HttpMethod method) {
    if (method.equals(HttpMethod.GET)) {
      if (request.has("location")) {
        return GET_BUCKET_LOCATION;
      } else if (request.has("versioning")) {
        return GET_BUCKET_VERSIONING;
      } else if (request.has("uploads")) {
        return LIST_MULTIPART_UPLOADS;
      } else if (request.has("versions")) {
        return LIST_OBJECT_VERSIONS;
      } else if ("2".equals(request.param("list-type"))) {
        return LIST_OBJECTS_V2;
      }
      return LIST_OBJECTS;
    } else if (method.equals(HttpMethod.PUT)) {
      if (request.has("versioning")) {
        throw S3Error.NOT_IMPLEMENTED.exception("Bucket versioning is not implemented.");
      }
      return CREATE_BUCKET;
    } else if (method.equals(HttpMethod.DELETE)) {
      return DELETE_BUCKET;
    } else if (method.equals(HttpMethod.HEAD)) {
      return HEAD_BUCKET;
    } else if (method.equals(HttpMethod.POST) && request.has("delete")) {
      return DELETE_OBJECTS;
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
