package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Buckets (docs/protocol.md, Buckets and Listing): one origin each, and the write-back switch. */
class BucketTableTest {
  final TableDriver t = new TableDriver();

  @Test
  void aBucketIsBoundToTheFirstOriginNamedAndKeptInSnapshots() {
    assertThat(t.bind("photos", "file:///srv/origin/").getOrigin())
        .isEqualTo("file:///srv/origin/");
    assertThat(t.bind("photos", "s3://elsewhere:9000 (region us-east-1)").getOrigin())
        .isEqualTo("file:///srv/origin/");
    LeaseTable copy = new LeaseTable();
    copy.restore(t.table.snapshot());
    assertThat(copy.snapshot().getBucketOriginsMap())
        .containsExactly(Map.entry("photos", "file:///srv/origin/"));
  }

  @Test
  void aSwitchToWriteBackWaitsUntilEverySiteRenewedTwice() {
    long a = t.register("a");
    long b = t.register("b");
    t.writeBack(true);
    assertThat(t.renew(a).getOverlayBucketsList()).containsExactly("b");
    assertThat(t.begin(a).getWriteBack()).isFalse(); // b has not heard of it yet
    t.renew(a);
    t.renew(b);
    assertThat(t.begin(a).getWriteBack()).isFalse();
    // A snapshot keeps the switch pending.
    LeaseTable copy = new LeaseTable();
    copy.restore(t.table.snapshot());
    assertThat(copy.snapshot()).isEqualTo(t.table.snapshot());
    t.renew(b);
    assertThat(t.begin(a).getWriteBack()).isTrue();
    // A site that registers later learns it at registration.
    assertThat(
            t.apply(
                    dev.leasehold.protocol.Command.newBuilder()
                        .setRegister(
                            dev.leasehold.protocol.RegisterSession.newBuilder().setSite("c")))
                .getOverlayBucketsList())
        .containsExactly("b");
  }

  @Test
  void aSessionThatEndsNoLongerHoldsUpTheSwitch() {
    long a = t.register("a");
    long b = t.register("b");
    t.writeBack(true);
    t.renew(a);
    t.renew(a);
    assertThat(t.begin(a).getWriteBack()).isFalse(); // b has not renewed
    t.expire(b);
    assertThat(t.begin(a).getWriteBack()).isTrue();
  }
}
