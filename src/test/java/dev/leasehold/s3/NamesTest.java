package dev.leasehold.s3;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.leasehold.error.S3Exception;
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
      assertThatThrownBy(() -> Names.checkNewBucket(bad)).as(bad).isInstanceOf(S3Exception.class);
    }
  }

  @Test
  void keys() {
    assertThatCode(() -> Names.checkKey("k".repeat(1024))).doesNotThrowAnyException();
    for (String ok : new String[] {"a/..b/c.", "a/../b", "a/./b", "a/b/../../c", "a/.", "..a"}) {
      assertThatCode(() -> Names.checkKey(ok)).as(ok).doesNotThrowAnyException();
    }
    for (String bad :
        new String[] {"k".repeat(1025), "../b", "..", ".", "./x", "a/../../b", "x\0y"}) {
      assertThatThrownBy(() -> Names.checkKey(bad)).isInstanceOf(S3Exception.class);
    }
    // Multi-byte characters count in bytes.
    assertThatThrownBy(() -> Names.checkKey("\u00e9".repeat(513))).isInstanceOf(S3Exception.class);
  }
}
