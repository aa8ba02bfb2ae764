package dev.leasehold.coordinator;

import static dev.leasehold.coordinator.TableDriver.E;
import static org.assertj.core.api.Assertions.assertThat;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.ElementState;
import dev.leasehold.protocol.ElementView;
import dev.leasehold.protocol.Mode;
import dev.leasehold.protocol.PrefixState;
import dev.leasehold.protocol.TableSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The table as a whole: one deterministic {@code apply}, and a snapshot made of every part's own
 * snapshot part that restores a table answering every later command the same way.
 */
class LeaseTableTest {
  @Test
  void aSnapshotRestoresTheSameTable() {
    TableDriver t = new TableDriver();
    long a = t.register("a");
    long b = t.register("b");
    t.read(a);
    assertThat(t.begin(b).getHoldersList()).containsExactly(a);
    LeaseTable copy = new LeaseTable();
    copy.restore(t.table.snapshot());
    assertThat(copy.snapshot()).isEqualTo(t.table.snapshot());
    // And it keeps working the same way: A's release lets B's write through.
    TableDriver c = new TableDriver(copy);
    c.release(a, E);
    assertThat(c.grant(b).getMode()).isEqualTo(Mode.WRITE);
  }

  /**
   * Random commands of every kind, from three sites on a few keys: at a random point the table is
   * snapshotted and restored into a second one; from then on both must answer every command alike
   * (each part restored all it keeps), and after every command no element has a writer beside
   * another reader or writer (docs/protocol.md, Invariants 1).
   */
  @Test
  void aRestoredTableAnswersEveryLaterCommandAlikeAndNoElementEverHasTwoWriters() {
    long seed = Long.getLong("leasehold.seed", new Random().nextLong());
    java.util.Map<String, Integer> seen = new java.util.TreeMap<>();
    for (int round = 0; round < 20; round++) {
      Random random = new Random(seed + round);
      String replay = "seed " + seed + " round " + round + " (replay with -Dleasehold.seed=)";
      TableDriver t = new TableDriver(new LeaseTable(6));
      int steps = 400;
      int cut = random.nextInt(steps);
      LeaseTable copy = null;
      for (int step = 0; step < steps; step++) {
        if (step == cut) {
          copy = new LeaseTable(6);
          copy.restore(t.table.snapshot());
        }
        Command command = randomCommand(random, t);
        CommandResult answer = t.table.apply(command);
        seen.merge(
            command.getCommandCase() + " " + answer.getOutcome() + " " + answer.getMode(),
            1,
            Integer::sum);
        if (copy != null) {
          assertThat(copy.apply(command))
              .as(replay + " step " + step + " " + command)
              .isEqualTo(answer);
        }
        assertOneWriterAtMost(t.table, replay + " step " + step);
        if (copy != null) {
          copy.apply(inspect()); // what the original applied to be checked, the copy applies too
        }
      }
      assertThat(copy).isNotNull();
      assertThat(copy.snapshot()).as(replay).isEqualTo(t.table.snapshot());
    }
    // The commands did reach every rule: grants, conflicts, dirty owners and prefix leases.
    assertThat(seen)
        .as("seed " + seed)
        .containsKeys(
            "BEGIN_WRITE OK WRITE",
            "BEGIN_WRITE OK MODE_UNSPECIFIED",
            "ACQUIRE_READ OK READ",
            "ACQUIRE_READ BUSY MODE_UNSPECIFIED",
            "COMMIT OK WRITE",
            "COMMIT OK READ",
            "MARK_CLEAN OK MODE_UNSPECIFIED",
            "RELEASE_PREFIX OK MODE_UNSPECIFIED",
            "ACQUIRE_READ OWNER_DOWN MODE_UNSPECIFIED",
            "ACQUIRE_PREFIX OK WRITE",
            "ACQUIRE_READ PREFIX_HELD MODE_UNSPECIFIED");
  }

  private static void assertOneWriterAtMost(LeaseTable table, String where) {
    CommandResult all = table.apply(inspect());
    for (ElementView v : all.getElementsList()) {
      if (!v.getWriter().isEmpty()) {
        assertThat(v.getReadersList()).as(where + " " + v).isEmpty();
      }
    }
  }

  private static Command inspect() {
    return Command.newBuilder()
        .setInspect(
            dev.leasehold.protocol.InspectElements.newBuilder().setBucket(TableDriver.BUCKET))
        .build();
  }

  /** A command a site or the leader could send now, with live or stale sessions and epochs. */
  private static Command randomCommand(Random random, TableDriver t) {
    List<Long> sessions = new ArrayList<>(t.table.sessionRenewals().keySet());
    long session =
        sessions.isEmpty() || random.nextInt(10) == 0
            ? 1 + random.nextInt(8)
            : sessions.get(random.nextInt(sessions.size()));
    Element e = TableDriver.element(List.of("k", "dir/a", "dir/b", "x").get(random.nextInt(4)));
    // Mostly the element's own writer and epoch, so that commits, flushes and aborts go through.
    TableSnapshot now = t.table.snapshot();
    long epoch = 1 + random.nextInt((int) now.getLastEpoch() + 1);
    long version = random.nextInt(4);
    for (ElementState es : now.getElementsList()) {
      if (es.getElement().equals(e) && es.getWriter() != 0 && random.nextInt(4) > 0) {
        session = es.getWriter();
        epoch = es.getEpoch();
        version = es.getVersion().getVersion() - random.nextInt(2);
      }
    }
    String prefix = random.nextBoolean() ? "dir/" : "";
    for (PrefixState p : now.getPrefixesList()) {
      if (p.getPrefix().equals(prefix) && p.getWriter() != 0 && random.nextInt(4) > 0) {
        epoch = p.getEpoch();
        session = p.getWriter();
      }
    }
    TableDriver d = new TableDriver(new LeaseTable()); // builds commands; its table is unused
    d.applied.clear();
    switch (random.nextInt(16)) {
      case 0 -> d.register(List.of("a", "b", "c").get(random.nextInt(3)));
      case 1 -> d.renew(session);
      case 2 -> d.expire(session, t.table.renewals(session));
      case 3, 4 -> d.read(session, e);
      case 5, 6 -> d.begin(session, e, random.nextBoolean());
      case 7 -> d.commit(session, e, epoch, "e" + random.nextInt(100), random.nextBoolean(), 1);
      case 8 -> d.release(session, e);
      case 9 -> d.abort(session, e, epoch, random.nextBoolean());
      case 10 -> d.clean(session, e, epoch, version, "f", random.nextBoolean());
      case 11 -> d.writeBack(random.nextBoolean());
      case 12 -> d.acquirePrefix(session, prefix);
      case 13 -> d.releasePrefix(session, prefix, epoch);
      case 14 -> d.reclaim(session);
      default -> d.declareLost(List.of("a", "b", "c").get(random.nextInt(3)));
    }
    return d.applied.get(0);
  }
}
