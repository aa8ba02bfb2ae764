package dev.leasehold.coordinator;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import java.io.IOException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Puts commands through the Raft log and returns what applying them answered. Blocks the calling
 * (virtual) thread until the command is committed and applied, or its retries are spent.
 *
 * <p>Each command is its own blocking call ({@link RaftClient#io()}), retried under the client's
 * policy on its own. Ratis's ordered async API would chain every command into one sliding window:
 * once one command spends its retries (a group without a leader for longer than they last), that
 * window is failed for good and every later command fails at once, so the peer never submits
 * anything again, even after the group has elected a leader (docs/design.md, The coordinator
 * group). Commands here need no order among callers: each caller waits for its own.
 *
 * <p>Thread-safe: the Ratis client is.
 */
final class Submitter implements AutoCloseable {
  private final RaftClient client;

  Submitter(RaftClient client) {
    this.client = client;
  }

  CommandResult submit(Command command) throws IOException {
    RaftClientReply reply =
        client.io().send(Message.valueOf(ByteString.copyFrom(command.toByteArray())));
    if (!reply.isSuccess()) {
      throw new IOException("the coordinator group refused a command", reply.getException());
    }
    return CommandResult.parseFrom(reply.getMessage().getContent().toByteArray());
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
