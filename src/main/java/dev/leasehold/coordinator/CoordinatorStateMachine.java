package dev.leasehold.coordinator;

import dev.leasehold.protocol.Batch;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.SiteEntry;
import dev.leasehold.protocol.TableSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.jspecify.annotations.Nullable;

/**
 * The Ratis state machine of the coordinator: applies {@link Command}s from the log to a {@link
 * LeaseTable}, answers each with its {@link CommandResult}, and snapshots the table (as a {@link
 * TableSnapshot} file) so the log can be trimmed.
 *
 * <p>Threading: Ratis calls {@code initialize} before the peer serves, then {@code
 * applyTransaction}, {@code takeSnapshot} and {@code reinitialize} on its state machine updater
 * thread, one at a time; the table is confined to that thread. {@code pause} comes from the thread
 * that received the leader's snapshot and only moves the life cycle. What other threads need (the
 * sessions and their renewal counts, the peers' client addresses) is published after each apply as
 * immutable maps in volatile fields.
 */
final class CoordinatorStateMachine extends BaseStateMachine {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(CoordinatorStateMachine.class);

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final LeaseTable table = new LeaseTable();
  private final TableListener listener;
  private final Runnable onLeaderChange;
  private final Runnable onClose;
  private volatile Map<Long, Long> sessions = Map.of();
  private volatile Map<String, String> peerAddresses = Map.of();
  private volatile Map<String, SiteEntry> siteAddresses = Map.of();
  private volatile Map<Long, String> sessionSites = Map.of();
  private volatile Map<String, String> bucketOrigins = Map.of();
  private volatile java.util.List<String> writeBackBuckets = java.util.List.of();
  private volatile Map<String, String> bucketPolicies = Map.of();
  private volatile boolean startedEmpty = true;
  private volatile @Nullable RaftPeerId leader;

  /**
   * @param onClose runs when Ratis closes the state machine: when the peer stops, or when its Raft
   *     server shut itself down after an error
   */
  CoordinatorStateMachine(TableListener listener, Runnable onLeaderChange, Runnable onClose) {
    this.listener = listener;
    this.onLeaderChange = onLeaderChange;
    this.onClose = onClose;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    getLifeCycle().startAndTransition(() -> load(storage.getLatestSnapshot()));
  }

  /**
   * Ratis pauses the state machine when this peer has received a whole snapshot from the leader
   * (its log had fallen behind what the leader still keeps), then calls {@link #reinitialize} on
   * the apply thread; it asserts the machine is {@code PAUSED} in between, and a machine that is
   * not fails the apply thread, which shuts this peer's Raft server down while its process runs on
   * (docs/design.md, The coordinator group: a follower that needs a snapshot).
   */
  @Override
  public void pause() {
    LifeCycle life = getLifeCycle();
    if (life.getCurrentState() == LifeCycle.State.RUNNING) {
      life.transition(LifeCycle.State.PAUSING);
      life.transition(LifeCycle.State.PAUSED);
    }
  }

  /**
   * Replaces the table with the latest snapshot on disk: after {@link #pause}, the one the leader
   * just installed, which is why the storage's directory is read again rather than its cached
   * answer (that still names the snapshot this peer took itself).
   */
  @Override
  public void reinitialize() throws IOException {
    load(storage.loadLatestSnapshot());
    LifeCycle life = getLifeCycle();
    if (life.getCurrentState() == LifeCycle.State.PAUSED) {
      life.transition(LifeCycle.State.STARTING);
      life.transition(LifeCycle.State.RUNNING);
    }
  }

  private void load(@Nullable SingleFileSnapshotInfo snapshot) throws IOException {
    if (snapshot == null || !Files.exists(snapshot.getFile().getPath())) {
      return;
    }
    Path file = snapshot.getFile().getPath();
    MD5Hash md5 = snapshot.getFile().getFileDigest();
    if (md5 != null) {
      MD5FileUtil.verifySavedMD5(file.toFile(), md5);
    }
    try (InputStream in = Files.newInputStream(file)) {
      table.restore(
          TableSnapshot.parseFrom(in), Changes.through(snapshot.getTermIndex().getIndex()));
    }
    setLastAppliedTermIndex(snapshot.getTermIndex());
    startedEmpty = false;
    publish();
    LOG.info("loaded the lease table from the snapshot at index {}", snapshot.getIndex());
    listener.restored(Changes.through(snapshot.getTermIndex().getIndex()));
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    Path file = storage.getSnapshotFile(last.getTerm(), last.getIndex()).toPath();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      table.snapshot().writeTo(out);
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file.toFile());
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file, md5), last));
    return last.getIndex();
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    CommandResult result;
    try {
      Command command =
          Command.parseFrom(entry.getStateMachineLogEntry().getLogData().toByteArray());
      result =
          command.hasBatch()
              ? applyBatch(command.getBatch(), entry.getIndex())
              : apply(command, Changes.point(entry.getIndex(), 0));
      startedEmpty = false;
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    } catch (IOException | RuntimeException e) {
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
      CompletableFuture<Message> failed = new CompletableFuture<>();
      failed.completeExceptionally(e);
      return failed;
    }
    return CompletableFuture.completedFuture(
        Message.valueOf(ByteString.copyFrom(result.toByteArray())));
  }

  /**
   * A batch's commands in order, each as a lone entry would be applied. One the table refuses is
   * answered with its error and the others still apply, as if they had been entries of their own:
   * no caller's command fails for another's.
   */
  private CommandResult applyBatch(Batch batch, long index) {
    CommandResult.Builder results = CommandResult.newBuilder().setOutcome(Outcome.OK);
    for (int i = 0; i < batch.getCommandsCount(); i++) {
      try {
        results.addBatch(apply(batch.getCommands(i), Changes.point(index, i)));
      } catch (RuntimeException e) {
        results.addBatch(CommandResult.newBuilder().setError(String.valueOf(e)));
      }
    }
    return results.build();
  }

  private CommandResult apply(Command command, long point) {
    CommandResult result = table.apply(command, point);
    if (command.hasRegister()
        || command.hasRenew()
        || command.hasExpire()
        || command.hasPeerAddress()
        || command.hasBindBucket()
        || command.hasSetBucketMode()) {
      publish();
    }
    listener.applied(command, result, point);
    return result;
  }

  @Override
  public void close() throws IOException {
    super.close();
    onClose.run();
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    leader = newLeaderId;
    onLeaderChange.run();
  }

  private void publish() {
    Map<Long, Long> renewals = table.sessionRenewals();
    sessions = renewals;
    peerAddresses = table.peerAddresses();
    if (!sessionSites.keySet().equals(renewals.keySet())) {
      // ids are never reused: the same ids, the same sites and addresses
      sessionSites = table.sessionSites();
      siteAddresses = table.siteAddresses();
    }
    if (table.bucketOriginCount() != bucketOrigins.size()) {
      bucketOrigins = table.bucketOrigins(); // only a new binding changes it: copy when it grew
    }
    writeBackBuckets = table.writeBackBuckets();
    bucketPolicies = table.bucketPolicies();
  }

  /** The buckets whose redirect policy is not adaptive, as of the last apply. */
  Map<String, String> bucketPolicies() {
    return bucketPolicies;
  }

  /** The write-back buckets, as of the last apply. */
  java.util.List<String> writeBackBuckets() {
    return writeBackBuckets;
  }

  /** Every live session and its renewal count, as of the last apply. */
  Map<Long, Long> sessions() {
    return sessions;
  }

  /** The bucket → origin table, as of the last apply. */
  Map<String, String> bucketOrigins() {
    return bucketOrigins;
  }

  /** The addresses each site with a live session gave, by name, as of the last apply. */
  Map<String, SiteEntry> siteAddresses() {
    return siteAddresses;
  }

  /** The site of each live session, as of the last apply. */
  Map<Long, String> sessionSites() {
    return sessionSites;
  }

  /** The client address each peer registered, as of the last apply. */
  Map<String, String> peerAddresses() {
    return peerAddresses;
  }

  /** Whether this peer has applied nothing, from a snapshot or the log, since it started. */
  boolean startedEmpty() {
    return startedEmpty;
  }

  @Nullable RaftPeerId leader() {
    return leader;
  }
}
