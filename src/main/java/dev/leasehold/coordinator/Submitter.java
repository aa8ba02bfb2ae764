package dev.leasehold.coordinator;

import dev.leasehold.protocol.Batch;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.jspecify.annotations.Nullable;

/**
 * Puts commands through the Raft log and returns what applying them answered. Blocks the calling
 * (virtual) thread until the command is committed and applied, or its retries are spent.
 *
 * <p>Group commit: at most {@link #LANES} submissions are in flight at once. A command that comes
 * while they all are waits in the queue, and the next submission takes everything queued by then
 * (up to {@link #MAX_COMMANDS} commands and {@link #MAX_BYTES} bytes) as one {@link Batch}: one log
 * entry, one replication and one disk write for all of them. A command alone is sent as it is, so
 * one caller pays nothing for the batching, and many share each commit.
 *
 * <p>While the peer's own Raft server leads, a submission goes straight to it ({@link
 * RaftServer#submitClientRequestAsync}): no call to itself over its own port, and no thread of a
 * client in between. One that fails there is not sent again: the leader may have appended it before
 * it lost the lead, and the caller (a site) decides whether to send it again, as it does when a
 * leader stops. Otherwise each submission is its own blocking call ({@link RaftClient#io()}),
 * retried under the client's policy on its own. Ratis's ordered async API would chain every command
 * into one sliding window: once one command spends its retries (a group without a leader for longer
 * than they last), that window is failed for good and every later command fails at once, so the
 * peer never submits anything again, even after the group has elected a leader (docs/design.md, The
 * coordinator group). Commands need no order among callers: each caller waits for its own, and a
 * batch fails or succeeds for its callers as their own commands would have.
 *
 * <p>Thread-safe. The queue and the count of lanes in flight are guarded by {@link #lock}. A lane
 * sends a batch, answers its callers, and takes the next batch while the queue is not empty. The
 * caller that opens a lane sends its own command, alone, on its own thread; the lane's later
 * batches go on a virtual thread of its own.
 */
final class Submitter implements AutoCloseable {
  /** Submissions in flight at once: Ratis pipelines them, so two keep the log busy. */
  static final int LANES = 2;

  /** The most commands one entry carries. */
  static final int MAX_COMMANDS = 1_000;

  /** The most bytes of commands one entry carries (far under Ratis's limits on an entry). */
  static final int MAX_BYTES = 256 * 1024;

  /**
   * The commands that may share an entry: the small, frequent ones of grants, writes and renewals.
   * The others (registrations, the operators' commands, the reads of many elements whose answers
   * may be large) go alone.
   */
  private static final Set<Command.CommandCase> BATCHED =
      EnumSet.of(
          Command.CommandCase.RENEW,
          Command.CommandCase.ACQUIRE_READ,
          Command.CommandCase.BEGIN_WRITE,
          Command.CommandCase.GRANT_WRITE,
          Command.CommandCase.COMMIT,
          Command.CommandCase.ABORT,
          Command.CommandCase.RELEASE,
          Command.CommandCase.MARK_CLEAN,
          Command.CommandCase.ACQUIRE_PREFIX,
          Command.CommandCase.RELEASE_PREFIX);

  /** How long a command submitted to the peer's own server is waited for, as a client's attempt. */
  static final long DIRECT_MILLIS = 3_000;

  private final RaftClient client;
  private final @Nullable RaftServer local;
  private final RaftGroupId group;
  private final ClientId id = ClientId.randomId();
  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong direct = new AtomicLong();
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by lock
  private int lanes; // guarded by lock

  /** A submitter that sends every command through {@code client}. */
  Submitter(RaftClient client) {
    this(client, null, CoordinatorPeer.GROUP);
  }

  /**
   * A submitter of the peer whose Raft server is {@code local}: commands go to that server directly
   * while it leads group {@code group}, else through {@code client}.
   */
  Submitter(RaftClient client, @Nullable RaftServer local, RaftGroupId group) {
    this.client = client;
    this.local = local;
    this.group = group;
  }

  /** How many submissions went to the peer's own server directly. */
  long directSubmissions() {
    return direct.get();
  }

  /** What applying a command answered, and where in the log it was applied ({@link Changes}). */
  record Applied(CommandResult result, long point) {}

  /** A command waiting for its result, and its size in the log. */
  private record Pending(Command command, int bytes, CompletableFuture<Applied> result) {
    Pending(Command command) {
      this(command, command.getSerializedSize(), new CompletableFuture<>());
    }
  }

  CommandResult submit(Command command) throws IOException {
    return apply(command).result();
  }

  /** {@link #submit}, with the point the command was applied at, for a wait after it. */
  Applied apply(Command command) throws IOException {
    Pending pending = new Pending(command);
    boolean opens;
    lock.lock();
    try {
      opens = lanes < LANES;
      if (opens) {
        lanes++;
      } else {
        queue.add(pending);
      }
    } finally {
      lock.unlock();
    }
    if (opens) {
      // A free lane: the queue is empty (a lane ends only on an empty queue, and while one is
      // free nobody queues), so this caller sends its own command alone, on its own thread; its
      // interrupt can fail nobody else's command. The lane goes on with what queued meanwhile.
      send(List.of(pending));
      List<Pending> more = afterSend();
      if (more != null) {
        Thread.ofVirtual().name("leasehold-submit").start(() -> lane(more));
      }
    }
    try {
      return pending.result().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      // The command may still be applied, as with any call cut short.
      throw new InterruptedIOException("interrupted waiting for the coordinator group");
    } catch (ExecutionException e) {
      // One failure may answer a whole batch: each caller gets its own exception, its cause shared.
      Throwable cause = e.getCause();
      throw new IOException(
          cause instanceof IOException ? cause.getMessage() : "the coordinator group failed",
          cause);
    }
  }

  /** Sends batches until the queue is empty. */
  private void lane(List<Pending> first) {
    for (List<Pending> batch = first; batch != null; batch = afterSend()) {
      send(batch);
    }
  }

  /** After a send: the next batch of this lane, or null and the lane ends (the queue is empty). */
  private @Nullable List<Pending> afterSend() {
    lock.lock();
    try {
      if (queue.isEmpty()) {
        lanes--;
        return null;
      }
      return next();
    } finally {
      lock.unlock();
    }
  }

  /** Under the lock: the queued commands that may go in one entry, from the head. */
  private List<Pending> next() {
    List<Pending> batch = new ArrayList<>();
    int bytes = 0;
    while (!queue.isEmpty() && batch.size() < MAX_COMMANDS) {
      Pending p = queue.peek();
      boolean alone = !BATCHED.contains(p.command().getCommandCase());
      if (!batch.isEmpty() && (alone || bytes + p.bytes() > MAX_BYTES)) {
        break;
      }
      batch.add(queue.poll());
      bytes += p.bytes();
      if (alone) {
        break;
      }
    }
    return batch;
  }

  /** One submission: a lone command as it is, else a batch; every caller in it is answered. */
  private void send(List<Pending> batch) {
    try {
      if (batch.size() == 1) {
        Reply reply = sendOne(batch.get(0).command());
        batch
            .get(0)
            .result()
            .complete(new Applied(reply.result(), Changes.point(reply.index(), 0)));
        return;
      }
      Batch.Builder entry = Batch.newBuilder();
      batch.forEach(p -> entry.addCommands(p.command()));
      Reply reply = sendOne(Command.newBuilder().setBatch(entry).build());
      CommandResult results = reply.result();
      if (results.getBatchCount() != batch.size()) {
        throw new IOException(
            "a batch of " + batch.size() + " answered " + results.getBatchCount() + " results");
      }
      for (int i = 0; i < batch.size(); i++) {
        CommandResult r = results.getBatch(i);
        if (r.getError().isEmpty()) {
          batch.get(i).result().complete(new Applied(r, Changes.point(reply.index(), i)));
        } else {
          batch
              .get(i)
              .result()
              .completeExceptionally(
                  new IOException("the coordinator group refused a command: " + r.getError()));
        }
      }
    } catch (Throwable e) {
      // Whatever went wrong (an Error too): every caller of the batch hears, and the lane goes on,
      // so that no caller waits for an answer nobody will give.
      batch.forEach(p -> p.result().completeExceptionally(e));
    }
  }

  /** A command's result and the index of the entry it was applied in. */
  private record Reply(CommandResult result, long index) {}

  private Reply sendOne(Command command) throws IOException {
    Message message = Message.valueOf(ByteString.copyFrom(command.toByteArray()));
    RaftServer server = leading();
    RaftClientReply reply = server != null ? direct(server, message) : client.io().send(message);
    if (!reply.isSuccess()) {
      throw new IOException("the coordinator group refused a command", reply.getException());
    }
    return new Reply(
        CommandResult.parseFrom(reply.getMessage().getContent().toByteArray()),
        reply.getLogIndex());
  }

  /** The peer's own server if it leads, ready to take commands; else null. */
  private @Nullable RaftServer leading() {
    RaftServer server = local;
    if (server == null) {
      return null;
    }
    try {
      return server.getDivision(group).getInfo().isLeaderReady() ? server : null;
    } catch (IOException e) {
      return null; // not a member of the group (yet, or any more): the client finds the leader
    }
  }

  /** Submits {@code message} to the peer's own server and waits for it to be applied. */
  private RaftClientReply direct(RaftServer server, Message message) throws IOException {
    RaftClientRequest request =
        RaftClientRequest.newBuilder()
            .setClientId(id)
            .setServerId(server.getId())
            .setGroupId(group)
            .setCallId(calls.incrementAndGet())
            .setMessage(message)
            .setType(RaftClientRequest.writeRequestType())
            .build();
    direct.incrementAndGet();
    try {
      return server.submitClientRequestAsync(request).get(DIRECT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the coordinator group");
    } catch (ExecutionException e) {
      throw new IOException("the coordinator group failed a command", e.getCause());
    } catch (TimeoutException e) {
      // It may still be applied, as with any call cut short.
      throw new IOException("the coordinator group did not apply a command in time", e);
    }
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
