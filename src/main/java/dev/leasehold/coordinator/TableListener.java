package dev.leasehold.coordinator;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;

/**
 * Told of every command the state machine applies, and of every snapshot that replaced the table,
 * on its apply thread, in log order.
 */
interface TableListener {
  void applied(Command command, CommandResult result);

  /** The table was replaced by a snapshot (at start, or one installed from the leader). */
  void restored();
}
