package dev.leasehold.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Element;
import org.junit.jupiter.api.Test;

/** The table's elements: a cap on how many it keeps, and epochs that never repeat. */
class ElementsTest {
  @Test
  void beyondItsCapTheTableForgetsIdleElementsButNeverAnEpochOrAHeldLease() {
    TableDriver small = new TableDriver(new LeaseTable(3));
    long a = small.register("a");
    long b = small.register("b");
    long lastEpoch = 0;
    for (int i = 0; i < 10; i++) {
      Element e = TableDriver.element("k" + i);
      CommandResult granted = small.begin(a, e);
      assertThat(granted.getEpoch()).isGreaterThan(lastEpoch); // epochs are table-wide
      lastEpoch = granted.getEpoch();
      small.commit(a, e, granted.getEpoch(), "e" + i, false, 0);
      small.release(a, e);
      if (i == 0) {
        small.read(b, e); // B holds k0: it must never be forgotten
      }
    }
    assertThat(small.table.snapshot().getElementsCount()).isEqualTo(3);
    assertThat(small.table.snapshot().getElementsList())
        .extracting(es -> es.getElement().getKey())
        .contains("k0", "k9");
    // A forgotten element comes back unknown (readers ask the origin), with a new epoch.
    Element k1 = TableDriver.element("k1");
    assertThat(small.read(a, k1).getVersion().getKnown()).isFalse();
    small.release(a, k1);
    CommandResult again = small.begin(a, k1);
    assertThat(again.getEpoch()).isGreaterThan(lastEpoch);
    // And a snapshot keeps the table-wide epoch.
    LeaseTable copy = new LeaseTable(3);
    copy.restore(small.table.snapshot());
    assertThat(copy.snapshot().getLastEpoch()).isEqualTo(again.getEpoch());
  }

  @Test
  void aDirtyElementIsNeverForgotten() {
    TableDriver small = new TableDriver(new LeaseTable(1));
    TableDriver.Owner s = small.owner();
    small.commit(s.a(), s.epoch(), "dirty", true, 1);
    small.expire(s.a()); // its owner is down: nothing holds it, but it is dirty
    for (int i = 0; i < 5; i++) {
      Element e = TableDriver.element("other" + i);
      small.commit(s.b(), e, small.begin(s.b(), e).getEpoch(), "x", false, 0);
      small.release(s.b(), e);
    }
    assertThat(small.table.snapshot().getElementsList())
        .extracting(es -> es.getElement().getKey())
        .contains("k");
    assertThat(small.table.dirtyCount()).isEqualTo(1);
  }
}
