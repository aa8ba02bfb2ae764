package dev.leasehold.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A bucket policy (Amazon S3 User Guide, "Bucket policies"; IAM User Guide, "IAM JSON policy
 * elements reference" and "Policy evaluation logic"), parsed and checked once, evaluated for every
 * request on its bucket: explicit Deny first, then Allow, else no decision.
 *
 * <p>The grammar kept: {@code Version} ({@code 2012-10-17} or {@code 2008-10-17}), {@code
 * Statement} (one or a list), each with {@code Sid}, {@code Effect}, {@code Principal} ({@code *},
 * or {@code {"AWS": ...}} naming {@code *} or access key ids, also as an ARN that ends in the key
 * id), {@code Action} or {@code NotAction} ({@code s3:...} with {@code *} and {@code ?} wildcards,
 * compared without case), {@code Resource} or {@code NotResource} (S3 ARNs with wildcards), and
 * {@code Condition} with the operators {@code StringEquals}, {@code StringNotEquals}, {@code
 * StringEqualsIgnoreCase}, {@code StringNotEqualsIgnoreCase}, {@code StringLike}, {@code
 * StringNotLike}, {@code IpAddress}, {@code NotIpAddress}, {@code Bool} and {@code Null}, each also
 * with {@code IfExists}, on the keys {@code aws:SourceIp}, {@code aws:SecureTransport}, {@code
 * aws:username}, {@code aws:Referer}, {@code aws:UserAgent}, {@code s3:prefix}, {@code
 * s3:delimiter}, {@code s3:max-keys}, the request's {@code s3:x-amz-acl}, {@code
 * s3:x-amz-storage-class}, {@code s3:x-amz-server-side-encryption}, {@code s3:x-amz-copy-source},
 * {@code s3:x-amz-metadata-directive} and {@code s3:VersionId}, and the object tag keys (always
 * absent: objects here carry no tags). A resource may be a pattern that covers the bucket or its
 * objects ({@code arn:aws:s3:::*}). Anything else is refused at PutBucketPolicy with {@code
 * MalformedPolicy}, never ignored: a policy that meant to deny must not be read as allowing.
 *
 * <p>Immutable; thread-safe.
 */
final class BucketPolicy {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> OPERATORS =
      Set.of(
          "StringEquals",
          "StringNotEquals",
          "StringEqualsIgnoreCase",
          "StringNotEqualsIgnoreCase",
          "StringLike",
          "StringNotLike",
          "IpAddress",
          "NotIpAddress",
          "Bool",
          "Null");
  private static final Set<String> KEYS =
      Set.of(
          "aws:sourceip",
          "aws:securetransport",
          "aws:username",
          "aws:referer",
          "aws:useragent",
          "s3:prefix",
          "s3:delimiter",
          "s3:max-keys",
          "s3:x-amz-acl",
          "s3:x-amz-storage-class",
          "s3:x-amz-server-side-encryption",
          "s3:x-amz-copy-source",
          "s3:x-amz-metadata-directive",
          "s3:versionid");

  /**
   * Keys named by a tag: {@code s3:ExistingObjectTag/K} (the object's tag K, looked up only for a
   * policy that names one, {@link #namesExistingObjectTags}), {@code s3:RequestObjectTag/K} (tag K
   * of the request's {@code x-amz-tagging}); {@code s3:RequestObjectTagKeys}, a set of values, is
   * always absent (a condition on it holds only with a negated operator, IfExists or Null).
   */
  private static final List<String> TAG_KEYS =
      List.of("s3:existingobjecttag/", "s3:requestobjecttag/", "s3:requestobjecttagkeys");

  /** What a policy says of a request. */
  enum Decision {
    ALLOW,
    DENY,
    NONE
  }

  /**
   * One request as a policy sees it.
   *
   * @param principal the signer's access key, or null for an anonymous request
   * @param action such as {@code s3:GetObject}
   * @param resource {@code arn:aws:s3:::bucket} or {@code arn:aws:s3:::bucket/key}
   * @param keys the condition keys' values, by lower-cased name (absent: not in the request)
   */
  record Request(
      @Nullable String principal, String action, String resource, Map<String, String> keys) {}

  private record Condition(String operator, boolean ifExists, String key, List<String> values) {}

  private record Statement(
      boolean allow,
      @Nullable List<String> principals,
      List<String> actions,
      boolean notAction,
      List<String> resources,
      boolean notResource,
      List<Condition> conditions) {}

  private final List<Statement> statements;

  private BucketPolicy(List<Statement> statements) {
    this.statements = statements;
  }

  /** Whether a condition names an object's existing tag (so the object must be looked up). */
  boolean namesExistingObjectTags() {
    for (Statement s : statements) {
      for (Condition c : s.conditions()) {
        if (c.key().startsWith("s3:existingobjecttag/")) {
          return true;
        }
      }
    }
    return false;
  }

  /** The policy in {@code json} for {@code bucket}; {@code MalformedPolicy} if it is not one. */
  static BucketPolicy parse(byte[] json, String bucket) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw malformed("Policies must be valid JSON and the first byte must be '{'");
    }
    if (root == null || !root.isObject()) {
      throw malformed("Policies must be valid JSON and the first byte must be '{'");
    }
    JsonNode version = root.get("Version");
    if (version != null
        && !version.asText().equals("2012-10-17")
        && !version.asText().equals("2008-10-17")) {
      throw malformed("The policy must contain a valid version string");
    }
    JsonNode list = root.get("Statement");
    if (list == null) {
      throw malformed("Missing required field Statement");
    }
    List<Statement> statements = new ArrayList<>();
    for (JsonNode s : list.isArray() ? list : List.of(list)) {
      statements.add(statement(s, bucket));
    }
    if (statements.isEmpty()) {
      throw malformed("Missing required field Statement");
    }
    for (var field : (Iterable<String>) root::fieldNames) {
      if (!Set.of("Version", "Id", "Statement").contains(field)) {
        throw malformed("Unknown field " + field);
      }
    }
    return new BucketPolicy(List.copyOf(statements));
  }

  private static Statement statement(JsonNode s, String bucket) {
    if (!s.isObject()) {
      throw malformed("A statement must be an object");
    }
    for (var field : (Iterable<String>) s::fieldNames) {
      if (!Set.of(
              "Sid",
              "Effect",
              "Principal",
              "Action",
              "NotAction",
              "Resource",
              "NotResource",
              "Condition")
          .contains(field)) {
        throw malformed(
            field.equals("NotPrincipal")
                ? "NotPrincipal is not supported by this site"
                : "Unknown field " + field);
      }
    }
    String effect = s.path("Effect").asText("");
    if (!effect.equals("Allow") && !effect.equals("Deny")) {
      throw malformed("Invalid effect: " + effect);
    }
    JsonNode principal = s.get("Principal");
    if (principal == null) {
      throw malformed("Missing required field Principal");
    }
    List<String> principals;
    if (principal.isTextual() && principal.asText().equals("*")) {
      principals = null;
    } else if (principal.isObject() && principal.has("AWS") && principal.size() == 1) {
      principals = strings(principal.get("AWS"), "Principal");
      if (principals.contains("*")) {
        principals = null;
      }
    } else {
      throw malformed("Invalid principal in policy");
    }
    boolean notAction = s.has("NotAction");
    if (notAction == s.has("Action")) {
      throw malformed("A statement has exactly one of Action and NotAction");
    }
    List<String> actions = strings(s.get(notAction ? "NotAction" : "Action"), "Action");
    for (String a : actions) {
      if (!a.equals("*") && !a.toLowerCase(Locale.ROOT).startsWith("s3:")) {
        throw malformed("Policy has invalid action: " + a);
      }
    }
    boolean notResource = s.has("NotResource");
    if (notResource == s.has("Resource")) {
      throw malformed("A statement has exactly one of Resource and NotResource");
    }
    List<String> resources = strings(s.get(notResource ? "NotResource" : "Resource"), "Resource");
    for (String r : resources) {
      // The bucket or its objects, named outright or by a pattern that covers them.
      String bucketArn = "arn:aws:s3:::" + bucket;
      int wild = firstWildcard(r);
      String literal = wild < 0 ? r : r.substring(0, wild);
      boolean covers =
          wild < 0
              ? r.equals(bucketArn) || r.startsWith(bucketArn + "/")
              : (bucketArn + "/").startsWith(literal) || literal.startsWith(bucketArn + "/");
      if (!covers) {
        throw malformed("Action does not apply to any resource(s) in statement: " + r);
      }
    }
    List<Condition> conditions = new ArrayList<>();
    JsonNode condition = s.get("Condition");
    if (condition != null) {
      if (!condition.isObject()) {
        throw malformed("Invalid Condition");
      }
      for (var op : condition.properties()) {
        String name = op.getKey();
        boolean ifExists = name.endsWith("IfExists");
        String operator = ifExists ? name.substring(0, name.length() - "IfExists".length()) : name;
        if (!OPERATORS.contains(operator)
            || !op.getValue().isObject()
            || (ifExists && operator.equals("Null"))) {
          throw malformed("Invalid Condition type : " + name);
        }
        for (var entry : op.getValue().properties()) {
          String key = entry.getKey().toLowerCase(Locale.ROOT);
          if (!KEYS.contains(key) && TAG_KEYS.stream().noneMatch(key::startsWith)) {
            throw malformed("Policy has an invalid condition key: " + entry.getKey());
          }
          List<String> values = strings(entry.getValue(), "Condition");
          if (operator.endsWith("IpAddress")) {
            values.forEach(BucketPolicy::cidr);
          }
          conditions.add(new Condition(operator, ifExists, key, values));
        }
      }
    }
    return new Statement(
        effect.equals("Allow"),
        principals,
        actions,
        notAction,
        resources,
        notResource,
        List.copyOf(conditions));
  }

  private static int firstWildcard(String s) {
    int star = s.indexOf('*');
    int mark = s.indexOf('?');
    return star < 0 ? mark : mark < 0 ? star : Math.min(star, mark);
  }

  private static List<String> strings(@Nullable JsonNode node, String field) {
    List<String> out = new ArrayList<>();
    if (node == null) {
      throw malformed("Missing required field " + field);
    }
    if (node.isArray()) {
      for (JsonNode n : node) {
        if (!n.isValueNode()) {
          throw malformed("Invalid " + field);
        }
        out.add(n.asText());
      }
    } else if (node.isValueNode()) {
      out.add(node.asText());
    } else {
      throw malformed("Invalid " + field);
    }
    if (out.isEmpty()) {
      throw malformed("Invalid " + field);
    }
    return out;
  }

  /** What the policy says of {@code request}: any Deny wins, then any Allow. */
  Decision evaluate(Request request) {
    boolean allowed = false;
    for (Statement s : statements) {
      if (applies(s, request)) {
        if (!s.allow()) {
          return Decision.DENY;
        }
        allowed = true;
      }
    }
    return allowed ? Decision.ALLOW : Decision.NONE;
  }

  /**
   * Whether the policy lets anyone at all in (Amazon S3 User Guide, "The meaning of public"): an
   * Allow to every principal without a condition that narrows who may call.
   */
  boolean isPublic() {
    for (Statement s : statements) {
      if (s.allow() && s.principals() == null && !narrowsCallers(s)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a statement names who may call by a fixed value AWS counts as narrowing: here, only
   * {@code IpAddress} on {@code aws:SourceIp} with no range that is the whole internet. Any other
   * condition (TLS, a user agent, a referer) leaves it open to anyone.
   */
  private static boolean narrowsCallers(Statement s) {
    for (Condition c : s.conditions()) {
      if (c.operator().equals("IpAddress")
          && !c.ifExists()
          && c.key().equals("aws:sourceip")
          && c.values().stream().noneMatch(v -> v.endsWith("/0"))) {
        return true;
      }
    }
    return false;
  }

  private static boolean applies(Statement s, Request r) {
    if (s.principals() != null) {
      boolean named = false;
      for (String p : s.principals()) {
        named |=
            r.principal() != null
                && (p.equals(r.principal())
                    || p.endsWith(":" + r.principal())
                    || p.endsWith("/" + r.principal()));
      }
      if (!named) {
        return false;
      }
    }
    boolean action = false;
    for (String a : s.actions()) {
      action |= a.equals("*") || wildcard(a, r.action(), true);
    }
    if (action == s.notAction()) {
      return false;
    }
    boolean resource = false;
    for (String pattern : s.resources()) {
      resource |= wildcard(pattern, r.resource(), false);
    }
    if (resource == s.notResource()) {
      return false;
    }
    for (Condition c : s.conditions()) {
      if (!holds(c, r.keys().get(c.key()))) {
        return false;
      }
    }
    return true;
  }

  private static boolean holds(Condition c, @Nullable String value) {
    if (c.operator().equals("Null")) {
      boolean wantAbsent = c.values().stream().anyMatch(v -> v.equalsIgnoreCase("true"));
      return (value == null) == wantAbsent;
    }
    if (value == null) {
      // Absent: IfExists makes it hold; a negated operator holds (nothing equals it).
      return c.ifExists() || c.operator().contains("Not");
    }
    boolean any = false;
    for (String v : c.values()) {
      any |=
          switch (c.operator()) {
            case "StringEquals", "StringNotEquals", "Bool" ->
                v.equals(value) || (c.operator().equals("Bool") && v.equalsIgnoreCase(value));
            case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase" -> v.equalsIgnoreCase(value);
            case "StringLike", "StringNotLike" -> wildcard(v, value, false);
            case "IpAddress", "NotIpAddress" -> inCidr(value, v);
            default -> throw new IllegalStateException(c.operator());
          };
    }
    return c.operator().contains("Not") ? !any : any;
  }

  /** {@code pattern} with {@code *} (any run) and {@code ?} (any one character) against a value. */
  static boolean wildcard(String pattern, String value, boolean ignoreCase) {
    if (ignoreCase) {
      pattern = pattern.toLowerCase(Locale.ROOT);
      value = value.toLowerCase(Locale.ROOT);
    }
    int p = 0;
    int v = 0;
    int star = -1;
    int mark = 0;
    while (v < value.length()) {
      if (p < pattern.length() && pattern.charAt(p) == '*') { // a wildcard before a literal '*'
        star = p++;
        mark = v;
      } else if (p < pattern.length()
          && (pattern.charAt(p) == '?' || pattern.charAt(p) == value.charAt(v))) {
        p++;
        v++;
      } else if (star >= 0) {
        p = star + 1;
        v = ++mark;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }

  /** An address and prefix length, checked at parse time. */
  private static byte[][] cidr(String cidr) {
    int slash = cidr.indexOf('/');
    String host = slash < 0 ? cidr : cidr.substring(0, slash);
    // A literal address only, never a name (which would be looked up in DNS).
    if (!host.matches("\\d{1,3}(\\.\\d{1,3}){3}")
        && !(host.contains(":") && host.matches("[0-9a-fA-F:.]+"))) {
      throw malformed("Invalid IP address: " + cidr);
    }
    try {
      byte[] address = InetAddress.getByName(host).getAddress();
      int bits = slash < 0 ? address.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
      if (bits < 0 || bits > address.length * 8) {
        throw malformed("Invalid IP address: " + cidr);
      }
      return new byte[][] {address, {(byte) bits}};
    } catch (UnknownHostException | NumberFormatException e) {
      throw malformed("Invalid IP address: " + cidr);
    }
  }

  private static boolean inCidr(String ip, String cidr) {
    byte[][] net = cidr(cidr);
    byte[] address;
    try {
      address = InetAddress.getByName(ip).getAddress();
    } catch (UnknownHostException e) {
      return false;
    }
    if (address.length != net[0].length) {
      return false;
    }
    int bits = net[1][0] & 0xff;
    for (int i = 0; i < bits; i++) {
      int mask = 0x80 >>> (i % 8);
      if ((address[i / 8] & mask) != (net[0][i / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  private static S3Exception malformed(String why) {
    return S3Error.MALFORMED_POLICY.exception(why);
  }
}
