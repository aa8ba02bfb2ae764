package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class NamesTest {
  @Test
  void newBuckets() {
    for (String ok : new String[] {"abc", "my-bucket.2026", "a".repeat(63), "1bucket"}) {
      assertThatCode(() -> Names.checkNewBucket(ok)).as(ok).doesNotThrowAnyException();
    }
    for (String bad :
        new String[] {
          "ab",
          "a".repeat(64),
          "Caps",
          "under_score",
          "a..b",
          "a.-b",
          "a-.b",
          "-ab",
          "ab-",
          "10.0.0.1",
          "xn--ab",
          "sthree-ab",
          "amzn-s3-demo-x",
          "ab-s3alias",
          "ab--ol-s3",
          "ab.mrap",
          "ab--x-s3",
          "ab--table-s3"
        }) {
      assertRefused(() -> Names.checkNewBucket(bad), bad, "InvalidBucketName");
    }
  }

  @Test
  void keys() {
    assertThatCode(() -> Names.checkKey("k".repeat(1024))).doesNotThrowAnyException();
    for (String ok : new String[] {"a/..b/c.", "a/../b", "a/./b", "a/b/../../c", "a/.", "..a"}) {
      assertThatCode(() -> Names.checkKey(ok)).as(ok).doesNotThrowAnyException();
    }
    // A key is "a sequence of Unicode characters whose UTF-8 encoding is at most 1,024 bytes
    // long" (Amazon S3 User Guide, "Naming Amazon S3 objects").
    assertRefused(() -> Names.checkKey("k".repeat(1025)), "1,025 bytes", "KeyTooLongError");
    // Multi-byte characters count in bytes.
    assertRefused(() -> Names.checkKey("\u00e9".repeat(513)), "1,026 bytes", "KeyTooLongError");
    for (String bad : new String[] {"../b", "..", ".", "./x", "a/../../b", "x\0y"}) {
      assertRefused(() -> Names.checkKey(bad), bad, "InvalidArgument");
    }
  }

  private static void assertRefused(ThrowingCallable check, String what, String code) {
    assertThatThrownBy(check)
        .as(what)
        .isInstanceOf(S3Exception.class)
        .satisfies(e -> {
          assertThat(((S3Exception) e).error().code()).isEqualTo(code);
          assertThat(((S3Exception) e).error().status()).isEqualTo(400);
        });
  }
}
