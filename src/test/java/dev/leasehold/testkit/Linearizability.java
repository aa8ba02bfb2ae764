package dev.leasehold.testkit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A linearizability checker for a read/write register per key: the search of Wing and Gong, with
 * Lowe's memoization of (linearized set, state) pairs, run on each key's history separately (a
 * register history is linearizable iff each key's is).
 *
 * <p>A write whose outcome is unknown (it failed or timed out) may or may not have taken effect:
 * its response is "never", so it may be linearized anywhere after its invocation, or not at all.
 * Reads that failed tell nothing and are left out by the caller.
 *
 * <p>Stateless; thread-safe.
 */
public final class Linearizability {
  /** The operations on a register. */
  public enum Kind {
    PUT,
    DELETE,
    GET
  }

  /**
   * One operation as a client saw it.
   *
   * @param value the value put, or the value a get returned (null: no object)
   * @param invoke when the client sent it (nanoTime)
   * @param response when the client had the answer, or {@link #UNKNOWN} for a write whose outcome
   *     is not known
   */
  public record Op(
      int client, String key, Kind kind, @Nullable String value, long invoke, long response) {
    public boolean known() {
      return response != UNKNOWN;
    }

    @Override
    public String toString() {
      return "c"
          + client
          + " "
          + kind
          + (kind == Kind.DELETE ? "" : "(" + value + ")")
          + " ["
          + invoke
          + ", "
          + (known() ? response : "?")
          + "]";
    }
  }

  public static final long UNKNOWN = Long.MAX_VALUE;

  private static boolean isUnknownDelete(Op op) {
    return !op.known() && op.kind() == Kind.DELETE;
  }

  /** Whether a scan from the head to {@code call} passes a pending delete of unknown outcome. */
  private static boolean passedBefore(Entry head, Entry call, List<Op> ops) {
    for (Entry e = head.next; e != null && e != call; e = e.next) {
      if (e.call && isUnknownDelete(ops.get(e.op))) {
        return true;
      }
    }
    return false;
  }

  /** The outcome of a check: every key linearizable, or the first key that is not. */
  public record Verdict(boolean linearizable, @Nullable String key, List<Op> history) {}

  private Linearizability() {}

  public static Verdict check(List<Op> history) {
    Map<String, List<Op>> byKey = new LinkedHashMap<>();
    Set<String> read = new HashSet<>();
    for (Op op : history) {
      if (op.kind() == Kind.GET && op.value() != null) {
        read.add(op.key() + "\u0000" + op.value());
      }
    }
    for (Op op : history) {
      // A put of unknown outcome whose value no read returned may be left out: had it taken
      // effect, a later write overwrote it before any read, so no read depends on it.
      if (!op.known()
          && op.kind() == Kind.PUT
          && !read.contains(op.key() + "\u0000" + op.value())) {
        continue;
      }
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
      if (!linearizable(e.getValue())) {
        return new Verdict(false, e.getKey(), e.getValue());
      }
    }
    return new Verdict(true, null, List.of());
  }

  /** An event of the history: an operation's call or its return, in a doubly linked list. */
  private static final class Entry {
    final int op;
    final boolean call;
    final long time;
    @Nullable Entry match;
    @Nullable Entry prev;
    @Nullable Entry next;

    Entry(int op, boolean call, long time) {
      this.op = op;
      this.call = call;
      this.time = time;
    }
  }

  private record Memo(BitSet linearized, @Nullable String state) {}

  /** Whether one key's history is linearizable, starting from "no object". */
  static boolean linearizable(List<Op> ops) {
    List<Entry> events = new ArrayList<>();
    int finite = 0;
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      Entry call = new Entry(i, true, op.invoke());
      Entry ret = new Entry(i, false, op.response());
      call.match = ret;
      events.add(call);
      events.add(ret);
      if (op.known()) {
        finite++;
      }
    }
    // In time order; at equal times calls first (the operations overlap).
    events.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.call));
    Entry head = new Entry(-1, true, Long.MIN_VALUE);
    Entry last = head;
    for (Entry e : events) {
      last.next = e;
      e.prev = last;
      last = e;
    }

    BitSet linearized = new BitSet(ops.size());
    Set<Memo> seen = new HashSet<>();
    Deque<Object[]> stack = new ArrayDeque<>();
    String state = null;
    int remaining = finite;
    Entry entry = head.next;
    // Deletes of unknown outcome are interchangeable but for their calls: where a later one could
    // be linearized, the earliest pending one could be too. So only the first pending one met in
    // a scan is tried (symmetry reduction; without it, k of them cost 2^k states).
    boolean passedUnknownDelete = false;
    while (remaining > 0) {
      if (entry == null) {
        return false;
      }
      if (entry.call) {
        Op op = ops.get(entry.op);
        boolean unknownDelete = !op.known() && op.kind() == Kind.DELETE;
        if (unknownDelete && passedUnknownDelete) {
          entry = entry.next;
          continue;
        }
        passedUnknownDelete |= unknownDelete;
        boolean allowed = op.kind() != Kind.GET || Objects.equals(state, op.value());
        String next = op.kind() == Kind.PUT ? op.value() : op.kind() == Kind.DELETE ? null : state;
        if (allowed) {
          BitSet bits = (BitSet) linearized.clone();
          bits.set(entry.op);
          if (seen.add(new Memo(bits, next))) {
            stack.push(new Object[] {entry, state});
            state = next;
            linearized.set(entry.op);
            lift(entry);
            if (op.known()) {
              remaining--;
            }
            entry = head.next;
            passedUnknownDelete = false;
            continue;
          }
        }
        entry = entry.next;
      } else {
        // The return of an operation not yet linearized: backtrack.
        if (stack.isEmpty()) {
          return false;
        }
        Object[] top = stack.pop();
        Entry call = (Entry) top[0];
        state = (String) top[1];
        linearized.clear(call.op);
        unlift(call);
        if (ops.get(call.op).known()) {
          remaining++;
        }
        // The scan resumes after the popped call, as it was then: it passed the calls before it.
        passedUnknownDelete = passedBefore(head, call, ops) || isUnknownDelete(ops.get(call.op));
        entry = call.next;
      }
    }
    return true;
  }

  private static void lift(Entry call) {
    remove(call);
    remove(Objects.requireNonNull(call.match));
  }

  private static void unlift(Entry call) {
    insert(Objects.requireNonNull(call.match));
    insert(call);
  }

  private static void remove(Entry e) {
    Objects.requireNonNull(e.prev).next = e.next;
    if (e.next != null) {
      e.next.prev = e.prev;
    }
  }

  private static void insert(Entry e) {
    Objects.requireNonNull(e.prev).next = e;
    if (e.next != null) {
      e.next.prev = e;
    }
  }
}
