package dev.leasehold.coordinator;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * Puts commands through the Raft log and returns what applying them answered. Blocks the calling
 * (virtual) thread until the command is committed and applied, or fails.
 *
 * <p>Thread-safe: the Ratis client is.
 */
final class Submitter implements AutoCloseable {
  private static final long TIMEOUT_SECONDS = 20;

  private final RaftClient client;

  Submitter(RaftClient client) {
    this.client = client;
  }

  CommandResult submit(Command command) throws IOException {
    try {
      RaftClientReply reply =
          client
              .async()
              .send(Message.valueOf(ByteString.copyFrom(command.toByteArray())))
              .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (!reply.isSuccess()) {
        throw new IOException("the coordinator group refused a command", reply.getException());
      }
      return CommandResult.parseFrom(reply.getMessage().getContent().toByteArray());
    } catch (ExecutionException e) {
      throw new IOException("the coordinator group failed a command", e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("the coordinator group did not commit a command in time", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while submitting a command", e);
    }
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
