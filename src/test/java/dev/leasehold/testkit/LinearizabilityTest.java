package dev.leasehold.testkit;

import static dev.leasehold.testkit.Linearizability.Kind.DELETE;
import static dev.leasehold.testkit.Linearizability.Kind.GET;
import static dev.leasehold.testkit.Linearizability.Kind.PUT;
import static dev.leasehold.testkit.Linearizability.UNKNOWN;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.testkit.Linearizability.Kind;
import dev.leasehold.testkit.Linearizability.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The checker itself, on histories known to be linearizable and known not to be. */
class LinearizabilityTest {
  static Op op(int client, Kind kind, String value, long invoke, long response) {
    return new Op(client, "k", kind, value, invoke, response);
  }

  static boolean ok(Op... ops) {
    return Linearizability.check(List.of(ops)).linearizable();
  }

  @Test
  void sequentialHistories() {
    assertThat(
            ok(
                op(0, PUT, "a", 0, 10),
                op(0, GET, "a", 20, 30),
                op(0, DELETE, null, 40, 50),
                op(0, GET, null, 60, 70)))
        .isTrue();
    assertThat(ok(op(0, GET, null, 0, 1))).isTrue();
    assertThat(ok(op(0, GET, "a", 0, 1))).isFalse(); // a value no one wrote
  }

  @Test
  void aStaleReadAfterAnAcknowledgedWriteIsAViolation() {
    assertThat(ok(op(0, PUT, "a", 0, 10), op(1, PUT, "b", 20, 30), op(2, GET, "a", 40, 50)))
        .isFalse();
    // Overlapping the second write, either value may be read.
    assertThat(ok(op(0, PUT, "a", 0, 10), op(1, PUT, "b", 20, 60), op(2, GET, "a", 40, 50)))
        .isTrue();
    assertThat(ok(op(0, PUT, "a", 0, 10), op(1, PUT, "b", 20, 60), op(2, GET, "b", 40, 50)))
        .isTrue();
  }

  @Test
  void readsNeverGoBackInTime() {
    assertThat(ok(op(0, PUT, "a", 0, 100), op(1, GET, "a", 10, 20), op(1, GET, null, 30, 40)))
        .isFalse();
    assertThat(ok(op(0, PUT, "a", 0, 100), op(1, GET, null, 10, 20), op(1, GET, "a", 30, 40)))
        .isTrue();
    // Two concurrent writes: once a reader saw b after a, no one may see a again.
    assertThat(
            ok(
                op(0, PUT, "a", 0, 100),
                op(1, PUT, "b", 0, 100),
                op(2, GET, "a", 110, 120),
                op(2, GET, "b", 130, 140),
                op(3, GET, "a", 150, 160)))
        .isFalse();
  }

  @Test
  void writesOfUnknownOutcome() {
    // It may have happened (and been read) or not; but not both.
    assertThat(ok(op(0, PUT, "a", 0, UNKNOWN), op(1, GET, null, 10, 20))).isTrue();
    assertThat(ok(op(0, PUT, "a", 0, UNKNOWN), op(1, GET, "a", 10, 20))).isTrue();
    assertThat(ok(op(0, PUT, "a", 0, UNKNOWN), op(1, GET, "a", 10, 20), op(1, GET, null, 30, 40)))
        .isFalse();
    // Not before it was invoked.
    assertThat(ok(op(1, GET, "a", 0, 5), op(0, PUT, "a", 10, UNKNOWN))).isFalse();
  }

  @Test
  void manyWritesOfUnknownOutcomeAreCheckedQuicklyAndStillCatchAViolation() {
    // Sites that refuse writes while an owner is down leave many writes of unknown outcome.
    List<Op> history = new java.util.ArrayList<>();
    history.add(op(0, PUT, "a", 0, 10));
    for (int i = 0; i < 40; i++) {
      history.add(op(1 + i, DELETE, null, 20 + i, UNKNOWN));
      history.add(op(100 + i, PUT, "never-read-" + i, 20 + i, UNKNOWN));
    }
    history.add(op(0, GET, null, 100, 110)); // one of the deletes happened
    history.add(op(0, PUT, "b", 120, 130));
    history.add(op(0, GET, "b", 140, 150));
    assertThat(Linearizability.check(history).linearizable()).isTrue();
    history.add(op(0, GET, "a", 160, 170)); // a was deleted, then b written: a is stale
    assertThat(Linearizability.check(history).linearizable()).isFalse();
  }

  @Test
  void keysAreCheckedApart() {
    Op a = new Op(0, "x", PUT, "1", 0, 10);
    Op b = new Op(1, "y", GET, "1", 20, 30); // y was never written
    var verdict = Linearizability.check(List.of(a, b));
    assertThat(verdict.linearizable()).isFalse();
    assertThat(verdict.key()).isEqualTo("y");
  }

  @Test
  void largeRandomSequentialHistoriesAreAccepted() {
    Random random = new Random(9);
    List<Op> history = new ArrayList<>();
    String state = null;
    long t = 0;
    for (int i = 0; i < 2000; i++) {
      int kind = random.nextInt(3);
      if (kind == 0) {
        state = "v" + i;
        history.add(op(i % 5, PUT, state, t, t + 5));
      } else if (kind == 1) {
        state = null;
        history.add(op(i % 5, DELETE, null, t, t + 5));
      } else {
        history.add(op(i % 5, GET, state, t, t + 5));
      }
      t += 10;
    }
    assertThat(Linearizability.check(history).linearizable()).isTrue();
    // A read, after all that, of a value overwritten long ago breaks it.
    String old = history.stream().filter(o -> o.kind() == PUT).findFirst().orElseThrow().value();
    assertThat(state).isNotEqualTo(old);
    history.add(op(9, GET, old, t + 100, t + 110));
    assertThat(Linearizability.check(history).linearizable()).isFalse();
  }
}
