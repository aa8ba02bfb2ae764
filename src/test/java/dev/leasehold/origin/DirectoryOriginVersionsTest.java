package dev.leasehold.origin;

import static dev.leasehold.origin.OriginContractIT.assertCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.object.Deletion;
import dev.leasehold.object.ListRequest;
import dev.leasehold.object.LockConfiguration;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectLock;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.object.ObjectVersion;
import dev.leasehold.object.VersionListRequest;
import dev.leasehold.object.VersionListing;
import dev.leasehold.object.WriteCondition;
import dev.leasehold.testkit.Payloads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory origin keeps versions as S3 documents them (Amazon S3 User Guide, "Retaining
 * multiple versions of objects with S3 Versioning"): every put and delete of a versioned bucket
 * adds a version, a delete adds a delete marker, removing a version by id promotes the next newest,
 * a suspended bucket writes the {@code null} version over itself, and a bucket is empty only once
 * every version is gone.
 */
class DirectoryOriginVersionsTest {
  @TempDir Path root;
  DirectoryOrigin origin;

  @BeforeEach
  void open() {
    origin = new DirectoryOrigin(root);
    origin.createBucket("b");
  }

  @AfterEach
  void close() {
    origin.close();
  }

  private ObjectInfo put(String key, String value) {
    return origin.put("b", key, Payloads.of(value), ObjectMetadata.EMPTY, WriteCondition.NONE);
  }

  private String read(String key, String versionId) throws IOException {
    ObjectInfo info = origin.headVersion("b", key, versionId);
    try (InputStream in = origin.readVersion("b", key, versionId, info.etag(), 0, info.size())) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private List<String> versions(String prefix) {
    VersionListing page =
        origin.listVersions("b", new VersionListRequest(prefix, null, null, null, 1000));
    List<String> out = new ArrayList<>();
    for (ObjectVersion v : page.versions()) {
      out.add(
          v.info().key()
              + "@"
              + v.versionIdText()
              + (v.deleteMarker() ? " marker" : "")
              + (v.latest() ? " latest" : ""));
    }
    return out;
  }

  @Test
  void aBucketThatNeverKeptVersionsHasOneNullVersionPerKey() {
    assertThat(origin.versioning("b")).isNull();
    ObjectInfo stored = put("k", "one");
    assertThat(stored.versionId()).isNull();
    put("k", "two");
    assertThat(versions("")).containsExactly("k@null latest");
    assertThat(origin.delete("b", "k", null)).isEqualTo(Deletion.UNVERSIONED);
    assertThat(versions("")).isEmpty();
  }

  @Test
  void everyPutAddsAVersionAndEachReadsBackByItsId() throws IOException {
    origin.setVersioning("b", true);
    assertThat(origin.versioning("b")).isEqualTo("Enabled");
    ObjectInfo v1 = put("k", "one");
    ObjectInfo v2 = put("k", "two");
    assertThat(v1.versionId()).isNotNull();
    assertThat(v2.versionId()).isNotNull().isNotEqualTo(v1.versionId());
    assertThat(origin.head("b", "k").versionId()).isEqualTo(v2.versionId());
    assertThat(read("k", v1.versionId())).isEqualTo("one");
    assertThat(read("k", v2.versionId())).isEqualTo("two");
    assertThat(versions(""))
        .containsExactly("k@" + v2.versionId() + " latest", "k@" + v1.versionId());
    assertCode(() -> origin.headVersion("b", "k", "0".repeat(32)), "NoSuchVersion", 404);
    assertCode(() -> origin.headVersion("b", "k", "nope"), "InvalidArgument", 400);
    // A read of the current version by its old ETag is refused once it is not current...
    assertCode(() -> origin.read("b", "k", v1.etag(), 0, 3), "PreconditionFailed", 412);
    // ...but the version itself stays readable under that ETag.
    assertThat(read("k", v1.versionId())).isEqualTo("one");
  }

  @Test
  void aDeleteAddsAMarkerThatHidesTheKeyUntilItIsRemoved() throws IOException {
    origin.setVersioning("b", true);
    ObjectInfo v1 = put("k", "one");
    Deletion marker = origin.delete("b", "k", null);
    assertThat(marker.deleteMarker()).isTrue();
    assertThat(marker.versionId()).isNotNull().isNotEqualTo(v1.versionId());
    assertCode(() -> origin.head("b", "k"), "NoSuchKey", 404);
    assertThat(origin.list("b", new ListRequest("", null, null, 1000)).objects()).isEmpty();
    assertThat(versions(""))
        .containsExactly("k@" + marker.versionId() + " marker latest", "k@" + v1.versionId());
    assertCode(() -> origin.headVersion("b", "k", marker.versionId()), "MethodNotAllowed", 405);

    Deletion removed = origin.deleteVersion("b", "k", marker.versionId(), false);
    assertThat(removed).isEqualTo(new Deletion(marker.versionId(), true));
    assertThat(origin.head("b", "k").versionId()).isEqualTo(v1.versionId());
    assertThat(read("k", v1.versionId())).isEqualTo("one");
  }

  @Test
  void removingTheLatestVersionPromotesTheNextAndTheLastEmptiesTheBucket() {
    origin.setVersioning("b", true);
    ObjectInfo v1 = put("k", "one");
    ObjectInfo v2 = put("k", "two");
    assertCode(() -> origin.deleteBucket("b"), "BucketNotEmpty", 409);
    assertThat(origin.deleteVersion("b", "k", v2.versionId(), false).deleteMarker()).isFalse();
    assertThat(origin.head("b", "k").etag()).isEqualTo(v1.etag());
    // Removing a version that is not there succeeds, as S3's does.
    origin.deleteVersion("b", "k", v2.versionId(), false);
    origin.delete("b", "k", null); // a marker: still not empty
    assertCode(() -> origin.deleteBucket("b"), "BucketNotEmpty", 409);
    for (String v : versions("")) {
      String id = v.substring(v.indexOf('@') + 1).split(" ")[0];
      origin.deleteVersion("b", "k", id, false);
    }
    assertThat(versions("")).isEmpty();
    origin.deleteBucket("b");
    assertThat(origin.bucketExists("b")).isFalse();
  }

  @Test
  void aSuspendedBucketWritesTheNullVersionOverItselfAndKeepsTheOthers() throws IOException {
    ObjectInfo before = put("k", "before"); // the null version, from before versioning
    origin.setVersioning("b", true);
    ObjectInfo v1 = put("k", "one");
    assertThat(versions("")).containsExactly("k@" + v1.versionId() + " latest", "k@null");
    assertThat(read("k", "null")).isEqualTo("before");

    origin.setVersioning("b", false);
    assertThat(origin.versioning("b")).isEqualTo("Suspended");
    ObjectInfo n1 = put("k", "suspended");
    assertThat(n1.versionId()).isNull();
    assertThat(versions("")).containsExactly("k@null latest", "k@" + v1.versionId());
    assertThat(read("k", "null")).isEqualTo("suspended");
    assertThat(before.etag()).isNotEqualTo(n1.etag());

    Deletion marker = origin.delete("b", "k", null);
    assertThat(marker).isEqualTo(new Deletion(null, true));
    assertThat(versions("")).containsExactly("k@null marker latest", "k@" + v1.versionId());
  }

  @Test
  void listingVersionsPagesByKeyAndVersionMarkers() {
    origin.setVersioning("b", true);
    put("a", "1");
    put("a", "2");
    put("b/x", "3");
    put("c", "4");
    List<String> all = versions("");
    assertThat(all).hasSize(4);
    List<String> paged = new ArrayList<>();
    String keyMarker = null;
    String versionMarker = null;
    for (int i = 0; i < 10; i++) {
      VersionListing page =
          origin.listVersions("b", new VersionListRequest("", null, keyMarker, versionMarker, 1));
      for (ObjectVersion v : page.versions()) {
        paged.add(v.info().key() + "@" + v.versionIdText() + (v.latest() ? " latest" : ""));
        keyMarker = v.info().key();
        versionMarker = v.versionIdText();
      }
      if (!page.truncated()) {
        break;
      }
    }
    assertThat(paged).isEqualTo(all);

    VersionListing rolled =
        origin.listVersions("b", new VersionListRequest("", "/", null, null, 1000));
    assertThat(rolled.commonPrefixes()).containsExactly("b/");
    assertThat(rolled.versions()).extracting(v -> v.info().key()).containsExactly("a", "a", "c");
  }

  @Test
  void aConditionalPutSeesAKeyWhoseLatestIsAMarkerAsAbsent() {
    origin.setVersioning("b", true);
    put("k", "one");
    origin.delete("b", "k", null);
    ObjectInfo again =
        origin.put("b", "k", Payloads.of("two"), ObjectMetadata.EMPTY, WriteCondition.IF_ABSENT);
    assertThat(again.versionId()).isNotNull();
    assertThat(versions("")).hasSize(3);
  }

  @Test
  void objectLockKeepsLockedVersionsAndTheBucketVersioned() {
    assertCode(
        () -> origin.setObjectLock("b", LockConfiguration.ENABLED), "InvalidBucketState", 409);
    origin.setVersioning("b", true);
    origin.setObjectLock("b", new LockConfiguration(ObjectLock.Mode.GOVERNANCE, 1, 0));
    assertThat(origin.objectLock("b"))
        .isEqualTo(new LockConfiguration(ObjectLock.Mode.GOVERNANCE, 1, 0));
    assertCode(() -> origin.setVersioning("b", false), "InvalidBucketState", 409);

    // The default retention: a day from the write, GOVERNANCE.
    ObjectInfo v1 = put("k", "one");
    ObjectLock given = origin.lock("b", "k", v1.versionId());
    assertThat(given.mode()).isEqualTo(ObjectLock.Mode.GOVERNANCE);
    assertThat(given.retainUntil()).isEqualTo(v1.lastModified().plus(java.time.Duration.ofDays(1)));
    assertCode(() -> origin.deleteVersion("b", "k", v1.versionId(), false), "AccessDenied", 403);
    // A delete marker is not a deletion of the version: allowed.
    assertThat(origin.delete("b", "k", null).deleteMarker()).isTrue();

    // COMPLIANCE cannot be shortened or bypassed; a legal hold holds even past it.
    java.time.Instant soon = java.time.Instant.now().plusSeconds(3600);
    origin.setLock(
        "b",
        "k",
        v1.versionId(),
        lock -> new ObjectLock(ObjectLock.Mode.COMPLIANCE, soon, true),
        true);
    assertCode(
        () ->
            origin.setLock(
                "b",
                "k",
                v1.versionId(),
                lock -> new ObjectLock(ObjectLock.Mode.COMPLIANCE, soon.minusSeconds(60), true),
                true),
        "AccessDenied",
        403);
    assertCode(() -> origin.deleteVersion("b", "k", v1.versionId(), true), "AccessDenied", 403);
    assertThat(origin.lock("b", "k", v1.versionId()).legalHold()).isTrue();

    // GOVERNANCE yields to a bypass.
    ObjectInfo v2 = put("g", "two");
    assertCode(() -> origin.deleteVersion("b", "g", v2.versionId(), false), "AccessDenied", 403);
    origin.deleteVersion("b", "g", v2.versionId(), true);
    assertCode(() -> origin.headVersion("b", "g", v2.versionId()), "NoSuchKey", 404);
  }

  /** A bucket record that cannot be read is never taken for "never versioned": nothing is lost. */
  @Test
  void anUnreadableBucketRecordRefusesADeleteRatherThanLosingVersions() throws IOException {
    origin.setVersioning("b", true);
    put("k", "one");
    put("k", "two");
    java.nio.file.Path record = root.resolve("b").resolve(".leasehold").resolve("bucket.json");
    java.nio.file.Files.writeString(record, "{not json");
    assertCode(() -> origin.delete("b", "k", null), "ServiceUnavailable", 503);
    java.nio.file.Files.writeString(record, "{\"versioning\":\"Enabled\"}");
    assertThat(versions("")).hasSize(2);
  }
}
