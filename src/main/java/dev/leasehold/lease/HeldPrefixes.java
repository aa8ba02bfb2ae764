package dev.leasehold.lease;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.PrefixReply;
import dev.leasehold.protocol.PrefixRequest;
import dev.leasehold.protocol.ReleasePrefixLease;
import dev.leasehold.protocol.SiteReply;
import dev.leasehold.protocol.SiteRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The prefix WRITE leases this site holds (docs/protocol.md, Prefix leases): taken and given back
 * at the coordinator, and looked up by every write and read of a key under one.
 *
 * <p>Thread-safe: a concurrent map by (bucket, prefix); each lease's open/closed state is its own
 * ({@link PrefixLease}).
 */
final class HeldPrefixes {
  private static final long CALL_MILLIS = CoordinatorLink.CALL_MILLIS;

  private record Key(String bucket, String prefix) {}

  private final CoordinatorLink link;
  private final LeaseSettings settings;
  private final SiteSession session;
  private final Map<Key, PrefixLease> prefixes = new ConcurrentHashMap<>();

  HeldPrefixes(CoordinatorLink link, LeaseSettings settings, SiteSession session) {
    this.link = link;
    this.settings = settings;
    this.session = session;
  }

  /**
   * Takes WRITE on every key under {@code bucket/prefix}: the coordinator recalls every lease under
   * it first. A new grant goes through {@code beforeUse} before any write can use it.
   *
   * @throws IllegalArgumentException if the bucket is not write-back
   * @throws LeaseUnavailableException if it could not be granted in time
   */
  PrefixLease acquire(String bucket, String prefix, Consumer<PrefixLease> beforeUse) {
    long id = session.require();
    long wait = settings.acquireWait().toMillis();
    SiteReply answer =
        link.callWaiting(
            SiteRequest.newBuilder()
                .setAcquirePrefix(
                    PrefixRequest.newBuilder()
                        .setSession(id)
                        .setBucket(bucket)
                        .setPrefix(prefix)
                        .setWaitMillis(wait))
                .build(),
            wait);
    PrefixReply reply = answer.getAcquirePrefix();
    if (answer.getOutcome() == Outcome.OK && !reply.getWriteBack()) {
      throw new IllegalArgumentException(
          "bucket " + bucket + " is not write-back: a prefix lease is for write-back buckets");
    }
    if (answer.getOutcome() != Outcome.OK) {
      throw new LeaseUnavailableException(
          answer.getOutcome() == Outcome.BUSY
              ? LeaseUnavailableException.Reason.BUSY
              : LeaseUnavailableException.Reason.UNREACHABLE,
          "The prefix lease on "
              + bucket
              + "/"
              + prefix
              + " was not granted ("
              + answer.getOutcome()
              + (reply.getOwner().isEmpty() ? "" : ", held by " + reply.getOwner())
              + ").");
    }
    PrefixLease lease = new PrefixLease(bucket, prefix, id, reply.getEpoch());
    PrefixLease before = prefixes.get(new Key(bucket, prefix));
    if (before != null && before.epoch() == lease.epoch()) {
      return before;
    }
    beforeUse.accept(lease);
    prefixes.put(new Key(bucket, prefix), lease);
    return lease;
  }

  /** The open prefix lease over {@code bucket/key}, under a valid session, or null. */
  @Nullable PrefixLease covering(String bucket, String key) {
    if (prefixes.isEmpty()) {
      return null;
    }
    for (PrefixLease p : prefixes.values()) {
      if (p.covers(bucket, key) && !p.closed() && session.valid(p.session())) {
        return p;
      }
    }
    return null;
  }

  /** The prefix lease on exactly {@code bucket/prefix}, if this site holds it. */
  @Nullable PrefixLease exactly(String bucket, String prefix) {
    return prefixes.get(new Key(bucket, prefix));
  }

  List<PrefixLease> all() {
    return List.copyOf(prefixes.values());
  }

  /** A prefix lease taken back after a restart (its journal adopted first). */
  void add(PrefixLease lease) {
    prefixes.put(new Key(lease.bucket(), lease.prefix()), lease);
  }

  /**
   * Gives the prefix lease back (closed, and everything under it flushed: the caller's duty).
   *
   * @throws StaleEpochException if it was no longer this site's
   */
  void release(PrefixLease lease) {
    CommandResult reply =
        link.submit(
            Command.newBuilder()
                .setReleasePrefix(
                    ReleasePrefixLease.newBuilder()
                        .setSession(lease.session())
                        .setBucket(lease.bucket())
                        .setPrefix(lease.prefix())
                        .setEpoch(lease.epoch()))
                .build(),
            CALL_MILLIS);
    prefixes.remove(new Key(lease.bucket(), lease.prefix()), lease);
    if (reply.getOutcome() != Outcome.OK) {
      throw new StaleEpochException(
          "the release of prefix lease " + lease + " was refused: " + reply.getOutcome());
    }
  }

  /** The session is gone: its prefix leases shut (no write enters them; a reclaim brings new). */
  void lost(long id) {
    prefixes
        .values()
        .removeIf(p -> {
          if (p.session() == id) {
            p.shut();
            return true;
          }
          return false;
        });
  }
}
