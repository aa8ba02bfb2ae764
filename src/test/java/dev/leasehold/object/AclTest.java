package dev.leasehold.object;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.object.Acl.Grant;
import dev.leasehold.object.Acl.Group;
import dev.leasehold.object.Acl.Permission;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ACLs as the Amazon S3 User Guide defines them ("Access control list (ACL) overview", "Canned
 * ACL"): what each canned ACL grants, that FULL_CONTROL grants every permission, that AllUsers
 * includes anonymous callers while AuthenticatedUsers does not, and that the kept text reads back.
 */
class AclTest {
  static final String OWNER = "OWNERKEY";

  @Test
  void cannedAclsGrantWhatS3Documents() {
    assertThat(Acl.canned("private", OWNER)).isEqualTo(Acl.ownerOnly(OWNER));
    assertThat(Acl.canned("bucket-owner-full-control", OWNER).isOwnerOnly(OWNER)).isTrue();
    assertThat(Acl.canned("public-read", OWNER).grants())
        .containsExactly(
            Grant.group(Group.ALL_USERS, Permission.READ),
            Grant.user(OWNER, Permission.FULL_CONTROL));
    assertThat(Acl.canned("public-read-write", OWNER).grants())
        .contains(Grant.group(Group.ALL_USERS, Permission.WRITE));
    assertThat(Acl.canned("authenticated-read", OWNER).grants())
        .contains(Grant.group(Group.AUTHENTICATED_USERS, Permission.READ));
    assertThat(Acl.canned("log-delivery-write", OWNER).grants())
        .contains(
            Grant.group(Group.LOG_DELIVERY, Permission.WRITE),
            Grant.group(Group.LOG_DELIVERY, Permission.READ_ACP));
    assertThat(Acl.canned("everyone", OWNER)).isNull();
    for (String name : Acl.CANNED) {
      assertThat(Acl.canned(name, OWNER)).as(name).isNotNull();
    }
  }

  @Test
  void whoIsGrantedWhat() {
    Acl publicRead = Acl.canned("public-read", OWNER);
    assertThat(publicRead.allows(null, Permission.READ, false)).as("anonymous").isTrue();
    assertThat(publicRead.allows("K", Permission.READ, false)).isTrue();
    assertThat(publicRead.allows("K", Permission.WRITE, false)).isFalse();
    assertThat(publicRead.allows(null, Permission.READ, true)).as("public ignored").isFalse();
    assertThat(publicRead.allows(OWNER, Permission.WRITE_ACP, true)).as("FULL_CONTROL").isTrue();
    assertThat(publicRead.isPublic()).isTrue();

    Acl authenticated = Acl.canned("authenticated-read", OWNER);
    assertThat(authenticated.allows(null, Permission.READ, false)).isFalse();
    assertThat(authenticated.allows("K", Permission.READ, false)).isTrue();
    assertThat(authenticated.isPublic()).isTrue();

    Acl granted = new Acl(List.of(Grant.user("K", Permission.READ_ACP)));
    assertThat(granted.allows("K", Permission.READ_ACP, true)).isTrue();
    assertThat(granted.allows("K", Permission.READ, true)).isFalse();
    assertThat(granted.allows("L", Permission.READ_ACP, true)).isFalse();
    assertThat(granted.isPublic()).isFalse();
  }

  @Test
  void theKeptTextReadsBack() {
    Acl acl =
        new Acl(
            List.of(
                Grant.group(Group.ALL_USERS, Permission.READ),
                Grant.user("an id with spaces:and=signs", Permission.WRITE_ACP),
                Grant.group(Group.LOG_DELIVERY, Permission.WRITE),
                Grant.user(OWNER, Permission.FULL_CONTROL)));
    assertThat(Acl.decode(acl.encoded())).isEqualTo(acl);
    Acl nothing = new Acl(List.of());
    assertThat(nothing.encoded()).isNotEmpty();
    assertThat(Acl.decode(nothing.encoded())).isEqualTo(nothing);
    assertThat(acl.encoded()).doesNotContain("  ");
    assertThat(Acl.of(ObjectMetadata.EMPTY)).isNull();
    assertThat(Acl.of(ObjectMetadata.EMPTY.withUserEntry(Acl.METADATA_NAME, acl.encoded())))
        .isEqualTo(acl);
    assertThatThrownBy(() -> Acl.decode("READ:nobody"))
        .isInstanceOf(IllegalArgumentException.class);
    // Kept entries do not count against the client's 2 KB of user metadata.
    ObjectMetadata kept =
        new ObjectMetadata(null, null, null, null, null, null, Map.of("a", "b"))
            .withUserEntry(Acl.METADATA_NAME, acl.encoded());
    assertThat(kept.userMetadataBytes()).isEqualTo(2);
  }
}
