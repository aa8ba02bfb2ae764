package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.site.Gateway;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Who may do what (docs/security.md, Who may do what): each request decided by the bucket's policy,
 * the signer's key pair and its scope, as AWS decides a request within one account. Stateless
 * beyond the gateway and the policies; thread-safe.
 */
final class Authorization {
  private final Gateway gateway;
  private final PolicyOperations policies;
  private final AclOperations acls;
  private final String owner;

  /**
   * @param owner the site's own access key, which may do anything a Deny does not refuse
   */
  Authorization(Gateway gateway, PolicyOperations policies, AclOperations acls, String owner) {
    this.gateway = gateway;
    this.policies = policies;
    this.acls = acls;
    this.owner = owner;
  }

  /** The operations the owner may always ask for, whatever the policy says: no lock-out. */
  private static final java.util.Set<S3Operation> POLICY_OPERATIONS =
      java.util.EnumSet.of(
          S3Operation.GET_BUCKET_POLICY,
          S3Operation.PUT_BUCKET_POLICY,
          S3Operation.DELETE_BUCKET_POLICY,
          S3Operation.GET_BUCKET_POLICY_STATUS);

  /**
   * Whether the request may go on (docs/security.md, Who may do what), as AWS evaluates a request
   * within one account: an explicit Deny in the bucket's policy refuses it; else the owner's key
   * may do anything, a scoped key what its scope allows (its buckets, reads only if read-only), and
   * anyone what the policy allows (an anonymous caller: objects and listings only). A copy needs
   * {@code s3:GetObject} on its source by the same rule; DeleteObjects is decided key by key
   * ({@link #mayDelete}). 403 {@code AccessDenied} otherwise. The owner may always read, set and
   * delete the policy itself.
   */
  void authorize(Authentication auth, S3Operation op, S3Request request, Exchange exchange) {
    boolean owner = isOwner(auth);
    if ((owner && POLICY_OPERATIONS.contains(op)) || op == S3Operation.POST_OBJECT) {
      return; // a form upload is decided once its form says who signed it, for which key
    }
    if (auth.anonymous() && !op.opensToEveryone()) {
      throw S3Error.ACCESS_DENIED.exception(); // no policy opens a bucket's configuration
    }
    String bucket = request.bucket();
    BucketPolicy.Decision decision = BucketPolicy.Decision.NONE;
    if (bucket != null && op != S3Operation.CREATE_BUCKET && op != S3Operation.DELETE_OBJECTS) {
      decision =
          decide(
              auth,
              op.iamAction(request.param("versionId") != null),
              bucket,
              op.onObject() ? request.key() : null,
              request.param("versionId"),
              request,
              exchange);
    }
    boolean scoped =
        !auth.anonymous()
            && (bucket == null || auth.keyScope().covers(bucket))
            && (auth.keyScope().writable() || !op.writes());
    boolean allowed =
        decision != BucketPolicy.Decision.DENY
            && (owner || scoped || decision == BucketPolicy.Decision.ALLOW);
    if (!allowed
        && decision != BucketPolicy.Decision.DENY
        && bucket != null
        && op != S3Operation.CREATE_BUCKET
        && op != S3Operation.DELETE_OBJECTS) {
      // What neither the key's scope nor the policy allows, an ACL may (docs/s3-api.md, ACLs).
      allowed = acls.grants(auth, op, bucket, request.key(), request);
    }
    if (op == S3Operation.DELETE_OBJECTS && bucket != null && !owner && !scoped) {
      // each key is decided by the policy, or the bucket's ACL lets the signer write them all
      allowed = policies.of(bucket) != null || acls.grantsWrite(auth, bucket);
    }
    if (allowed
        && (op == S3Operation.PUT_OBJECT || op == S3Operation.UPLOAD_PART)
        && request.header("x-amz-copy-source") != null) {
      var source = ObjectOperations.copySource(request, null);
      if (auth.anonymous()) {
        gateway.checkBucketUnsigned(source.bucket()); // asks the coordinator nothing
      }
      // A copy of a named version reads that version: s3:GetObjectVersion, as S3 decides it.
      BucketPolicy.Decision read =
          decide(
              auth,
              source.versionId() == null ? "s3:GetObject" : "s3:GetObjectVersion",
              source.bucket(),
              source.key(),
              source.versionId(),
              request,
              exchange);
      allowed =
          read != BucketPolicy.Decision.DENY
              && (owner
                  || (!auth.anonymous() && auth.keyScope().covers(source.bucket()))
                  || read == BucketPolicy.Decision.ALLOW
                  || acls.grantsRead(auth, source.bucket(), source.key(), source.versionId()));
    }
    if (allowed
        && bucket != null
        && ObjectLockOperations.bypass(request)
        && (op == S3Operation.DELETE_OBJECT
            || op == S3Operation.DELETE_OBJECTS
            || op == S3Operation.PUT_OBJECT_RETENTION)) {
      allowed = mayBypassGovernance(auth, bucket, request.key(), request, exchange);
    }
    if (!allowed) {
      throw S3Error.ACCESS_DENIED.exception();
    }
  }

  /**
   * Whether the signer may bypass a GOVERNANCE retention ({@code
   * x-amz-bypass-governance-retention}), a permission of its own ({@code
   * s3:BypassGovernanceRetention}): the owner's key or a writable key scoped to the bucket, or one
   * a policy allows it to; never an anonymous caller or an ACL grant; and nobody a policy denies
   * it.
   */
  private boolean mayBypassGovernance(
      Authentication auth,
      String bucket,
      @Nullable String key,
      S3Request request,
      Exchange exchange) {
    if (auth.anonymous()) {
      return false;
    }
    BucketPolicy.Decision d =
        decide(
            auth,
            "s3:BypassGovernanceRetention",
            bucket,
            key,
            request.param("versionId"),
            request,
            exchange);
    boolean scoped = auth.keyScope().covers(bucket) && auth.keyScope().writable();
    return d != BucketPolicy.Decision.DENY
        && (isOwner(auth) || scoped || d == BucketPolicy.Decision.ALLOW);
  }

  /** The site's own key pair, recognised by its key (another key may have the same scope). */
  private boolean isOwner(Authentication auth) {
    return !auth.anonymous() && auth.accessKey().equals(owner);
  }

  /**
   * For DeleteObjects: whether the signer may delete {@code key} (its version {@code versionId}, if
   * one is named: {@code s3:DeleteObjectVersion}, which no ACL grant gives), by the rule above.
   */
  boolean mayDelete(
      Authentication auth,
      String bucket,
      String key,
      @Nullable String versionId,
      S3Request request,
      Exchange exchange) {
    boolean scoped =
        !auth.anonymous() && auth.keyScope().covers(bucket) && auth.keyScope().writable();
    BucketPolicy.Decision d =
        decide(
            auth,
            versionId == null ? "s3:DeleteObject" : "s3:DeleteObjectVersion",
            bucket,
            key,
            versionId,
            request,
            exchange);
    return d != BucketPolicy.Decision.DENY
        && (isOwner(auth)
            || scoped
            || d == BucketPolicy.Decision.ALLOW
            || (versionId == null && acls.grantsWrite(auth, bucket)));
  }

  private static void putIf(
      java.util.Map<String, String> keys, String key, @Nullable String value) {
    if (value != null) {
      keys.put(key, value);
    }
  }

  /** The tags of the object a request names, as a HEAD reads them; none if it has none. */
  private java.util.Map<String, String> existingTags(
      String bucket, String key, @Nullable String versionId) {
    try {
      var info = ObjectOperations.head(gateway, bucket, key, versionId);
      return dev.leasehold.object.ObjectTags.of(info.metadata()).tags();
    } catch (dev.leasehold.error.S3Exception e) {
      if (e.error().status() == 404 || e.error().status() == 405 || e.error().status() == 400) {
        return java.util.Map.of();
      }
      throw e;
    }
  }

  /** What {@code bucket}'s policy says of the request, as {@code action} on the bucket or a key. */
  private BucketPolicy.Decision decide(
      Authentication auth,
      String action,
      String bucket,
      @Nullable String key,
      @Nullable String versionId,
      S3Request request,
      Exchange exchange) {
    BucketPolicy policy = policies.of(bucket);
    if (policy == null) {
      return BucketPolicy.Decision.NONE;
    }
    java.util.Map<String, String> keys = new java.util.HashMap<>();
    keys.put("aws:sourceip", exchange.remoteHost());
    keys.put("aws:securetransport", Boolean.toString(exchange.secure()));
    if (!auth.anonymous()) {
      keys.put("aws:username", auth.accessKey());
    }
    putIf(keys, "aws:referer", request.header("Referer"));
    putIf(keys, "aws:useragent", request.header("User-Agent"));
    for (String header :
        new String[] {
          "x-amz-acl",
          "x-amz-storage-class",
          "x-amz-server-side-encryption",
          "x-amz-copy-source",
          "x-amz-metadata-directive"
        }) {
      putIf(keys, "s3:" + header, request.header(header));
    }
    putIf(keys, "s3:versionid", versionId);
    String tagging = request.header("x-amz-tagging");
    if (tagging != null && !tagging.trim().startsWith("<")) {
      try {
        dev.leasehold.object.ObjectTags.decode(tagging)
            .tags()
            .forEach((k, v) -> keys.put("s3:requestobjecttag/" + k.toLowerCase(Locale.ROOT), v));
      } catch (IllegalArgumentException e) {
        // refused as InvalidTag when the write reads it
      }
    }
    if (key != null && policy.namesExistingObjectTags()) {
      existingTags(bucket, key, versionId)
          .forEach((k, v) -> keys.put("s3:existingobjecttag/" + k.toLowerCase(Locale.ROOT), v));
    }
    if (key == null) {
      for (String name : new String[] {"prefix", "delimiter", "max-keys"}) {
        String value = request.param(name);
        if (value != null) {
          keys.put("s3:" + name, value);
        }
      }
    }
    String resource = "arn:aws:s3:::" + bucket + (key == null ? "" : "/" + key);
    BucketPolicy.Decision decision =
        policy.evaluate(
            new BucketPolicy.Request(
                auth.anonymous() ? null : auth.accessKey(), action, resource, keys));
    if (decision == BucketPolicy.Decision.ALLOW
        && auth.anonymous()
        && policies.restrictsPublic(bucket)) {
      return BucketPolicy.Decision.NONE; // RestrictPublicBuckets: nobody from outside
    }
    return decision;
  }
}
