package dev.leasehold.object;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An access control list: who is granted what on a bucket or an object (Amazon S3 User Guide,
 * "Access control list (ACL) overview"). The grantees are canonical users (here, an access key) and
 * the groups S3 names by URI; e-mail grantees are not kept. Immutable.
 *
 * <p>Kept as text: each grant {@code PERMISSION:GRANTEE}, separated by spaces, where the grantee is
 * {@code all} (AllUsers), {@code authenticated} (AuthenticatedUsers), {@code log} (LogDelivery) or
 * {@code id:} and the URL-encoded canonical id: {@code READ:all FULL_CONTROL:id:AKIA...}; an ACL
 * that grants nothing is {@code none}.
 */
public record Acl(List<Grant> grants) {
  /** The permissions S3 grants. */
  public enum Permission {
    READ,
    WRITE,
    READ_ACP,
    WRITE_ACP,
    FULL_CONTROL
  }

  /** The groups S3 grants to, by URI. */
  public enum Group {
    ALL_USERS("http://acs.amazonaws.com/groups/global/AllUsers", "all"),
    AUTHENTICATED_USERS(
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "authenticated"),
    LOG_DELIVERY("http://acs.amazonaws.com/groups/s3/LogDelivery", "log");

    private final String uri;
    private final String word;

    Group(String uri, String word) {
      this.uri = uri;
      this.word = word;
    }

    public String uri() {
      return uri;
    }

    /** The group a URI names, or null. */
    public static @Nullable Group ofUri(String uri) {
      for (Group g : values()) {
        if (g.uri.equals(uri)) {
          return g;
        }
      }
      return null;
    }
  }

  /**
   * One grant: to a canonical user ({@code userId}) or a group ({@code group}), exactly one set.
   * Immutable.
   */
  public record Grant(@Nullable String userId, @Nullable Group group, Permission permission) {
    public Grant {
      if ((userId == null) == (group == null)) {
        throw new IllegalArgumentException("a grant names a user or a group");
      }
    }

    public static Grant user(String id, Permission permission) {
      return new Grant(id, null, permission);
    }

    public static Grant group(Group group, Permission permission) {
      return new Grant(null, group, permission);
    }
  }

  /** The text of an ACL that grants nobody anything. */
  private static final String NONE = "none";

  /** The name under which an object's ACL is kept among its metadata, out of the client's sight. */
  public static final String METADATA_NAME = "leasehold-acl";

  /** The canned ACLs S3 names. */
  public static final List<String> CANNED =
      List.of(
          "private",
          "public-read",
          "public-read-write",
          "authenticated-read",
          "aws-exec-read",
          "bucket-owner-read",
          "bucket-owner-full-control",
          "log-delivery-write");

  public Acl {
    grants = List.copyOf(grants);
  }

  /** The ACL every bucket and object has unless given another: its owner's FULL_CONTROL. */
  public static Acl ownerOnly(String owner) {
    return new Acl(List.of(Grant.user(owner, Permission.FULL_CONTROL)));
  }

  /**
   * A canned ACL, its grants to groups first and the owner's FULL_CONTROL last (as S3 lists them);
   * null if {@code name} is none. Within one account the bucket owner is the object owner, so the
   * {@code bucket-owner-*} ACLs are the owner's alone.
   */
  public static @Nullable Acl canned(String name, String owner) {
    List<Grant> grants = new ArrayList<>();
    switch (name) {
      case "private", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control" -> {}
      case "public-read" -> grants.add(Grant.group(Group.ALL_USERS, Permission.READ));
      case "public-read-write" -> {
        grants.add(Grant.group(Group.ALL_USERS, Permission.READ));
        grants.add(Grant.group(Group.ALL_USERS, Permission.WRITE));
      }
      case "authenticated-read" ->
          grants.add(Grant.group(Group.AUTHENTICATED_USERS, Permission.READ));
      case "log-delivery-write" -> {
        grants.add(Grant.group(Group.LOG_DELIVERY, Permission.WRITE));
        grants.add(Grant.group(Group.LOG_DELIVERY, Permission.READ_ACP));
      }
      default -> {
        return null;
      }
    }
    grants.add(Grant.user(owner, Permission.FULL_CONTROL));
    return new Acl(grants);
  }

  /**
   * Whether the ACL grants {@code permission} (or FULL_CONTROL) to a caller: {@code accessKey} is
   * the signer's key, or null for an anonymous caller. With {@code ignorePublic}, grants to
   * everyone and to every signed caller count for nothing (a public access block's {@code
   * IgnorePublicAcls}).
   */
  public boolean allows(@Nullable String accessKey, Permission permission, boolean ignorePublic) {
    for (Grant g : grants) {
      if (g.permission() != permission && g.permission() != Permission.FULL_CONTROL) {
        continue;
      }
      if (g.group() == Group.ALL_USERS || g.group() == Group.AUTHENTICATED_USERS) {
        if (!ignorePublic && (g.group() == Group.ALL_USERS || accessKey != null)) {
          return true;
        }
      } else if (accessKey != null && accessKey.equals(g.userId())) {
        return true;
      }
    }
    return false;
  }

  /** Whether it grants anything to everyone or to every signed caller (S3's "public"). */
  public boolean isPublic() {
    for (Grant g : grants) {
      if (g.group() == Group.ALL_USERS || g.group() == Group.AUTHENTICATED_USERS) {
        return true;
      }
    }
    return false;
  }

  /** Whether it is {@link #ownerOnly} for {@code owner}. */
  public boolean isOwnerOnly(String owner) {
    return equals(ownerOnly(owner));
  }

  /** The text form (see the class comment). */
  public String encoded() {
    if (grants.isEmpty()) {
      return NONE;
    }
    StringBuilder out = new StringBuilder();
    for (Grant g : grants) {
      if (!out.isEmpty()) {
        out.append(' ');
      }
      out.append(g.permission().name()).append(':');
      Group group = g.group();
      if (group != null) {
        out.append(group.word);
      } else {
        out.append("id:").append(URLEncoder.encode(g.userId(), StandardCharsets.UTF_8));
      }
    }
    return out.toString();
  }

  /** Reads {@link #encoded}; IllegalArgumentException if it is not that form. */
  public static Acl decode(String text) {
    List<Grant> grants = new ArrayList<>();
    if (text.trim().equals(NONE)) {
      return new Acl(grants);
    }
    for (String item : text.trim().split(" +")) {
      if (item.isEmpty()) {
        continue;
      }
      int colon = item.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("not a grant: " + item);
      }
      Permission permission = Permission.valueOf(item.substring(0, colon));
      String grantee = item.substring(colon + 1);
      if (grantee.startsWith("id:")) {
        grants.add(
            Grant.user(
                URLDecoder.decode(grantee.substring(3), StandardCharsets.UTF_8), permission));
        continue;
      }
      Group group = null;
      for (Group g : Group.values()) {
        if (g.word.equals(grantee)) {
          group = g;
        }
      }
      if (group == null) {
        throw new IllegalArgumentException("not a grantee: " + grantee);
      }
      grants.add(Grant.group(group, permission));
    }
    return new Acl(grants);
  }

  /** The ACL kept in an object's user metadata, or null if it has none (its owner's alone). */
  public static @Nullable Acl of(ObjectMetadata metadata) {
    String kept = metadata.user().get(METADATA_NAME);
    return kept == null ? null : decode(kept);
  }
}
