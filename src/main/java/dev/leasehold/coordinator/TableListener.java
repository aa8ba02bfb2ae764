package dev.leasehold.coordinator;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;

/**
 * Told of every command the state machine applies, and of every snapshot that replaced the table,
 * on its apply thread, in log order.
 */
interface TableListener {
  /** {@code command} was applied at {@code point} ({@link Changes#point}). */
  void applied(Command command, CommandResult result, long point);

  /**
   * The table was replaced by a snapshot (at start, or one installed from the leader) of the log up
   * to {@code point}.
   */
  void restored(long point);
}
