package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.SetBucketSetting;
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

  /**
   * Settings (docs/protocol.md, Bucket settings): set, read, removed, and every bucket's removed
   * with it; each change moves the count that renewals report, and a snapshot keeps both.
   */
  @Test
  void bucketSettingsAreKeptCountedAndSnapshotted() {
    long a = t.register("a");
    long before = t.renew(a).getSettingsChanges();
    CommandResult set = setting("photos", "cors", "<CORSConfiguration/>");
    assertThat(set.getSettingsMap().get("cors").toStringUtf8()).isEqualTo("<CORSConfiguration/>");
    assertThat(set.getSettingsChanges()).isEqualTo(before + 1);
    assertThat(t.renew(a).getSettingsChanges()).isEqualTo(before + 1);
    setting("photos", "policy", "{}");
    CommandResult lookup =
        t.apply(
            Command.newBuilder()
                .setSetBucketSetting(
                    SetBucketSetting.newBuilder().setBucket("photos").setLookup(true)));
    assertThat(lookup.getSettingsMap()).containsOnlyKeys("cors", "policy");
    assertThat(lookup.getSettingsChanges()).isEqualTo(before + 2);

    LeaseTable copy = new LeaseTable();
    copy.restore(t.table.snapshot());
    assertThat(copy.snapshot()).isEqualTo(t.table.snapshot());

    assertThat(setting("photos", "cors", "").getSettingsMap()).containsOnlyKeys("policy");
    assertThat(setting("photos", "", "").getSettingsMap()).isEmpty();
    assertThat(t.renew(a).getSettingsChanges()).isEqualTo(before + 4);
    assertThat(setting("other", "", "").getSettingsChanges())
        .as("removing nothing changes nothing")
        .isEqualTo(before + 4);
  }

  private CommandResult setting(String bucket, String kind, String document) {
    return t.apply(
        Command.newBuilder()
            .setSetBucketSetting(
                SetBucketSetting.newBuilder()
                    .setBucket(bucket)
                    .setKind(kind)
                    .setDocument(com.google.protobuf.ByteString.copyFromUtf8(document))));
  }
}
