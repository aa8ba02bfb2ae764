package dev.leasehold.coordinator;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;

/** Told of every command the state machine applies, on its apply thread, in log order. */
interface TableListener {
  void applied(Command command, CommandResult result);
}
