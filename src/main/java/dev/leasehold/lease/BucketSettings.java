package dev.leasehold.lease;

import com.google.protobuf.ByteString;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.SetBucketSetting;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * A bucket's settings that are not data (its CORS rules, ...), as the coordinator's bucket table
 * holds them for every site (docs/protocol.md, Bucket settings), and this site's copy of them.
 *
 * <p>A copy is read through the log once and kept while no setting changed anywhere since: every
 * renewal reports the table's count of setting changes, and when the count differs from the one the
 * copies were kept for, they are all dropped and read again. So a change made at another site holds
 * here from this site's next renewal on (within a third of the lease TTL); a change made here holds
 * here at once. A count that went down (a coordinator that lost its table) drops them too.
 *
 * <p>Thread-safe: the copies are immutable values in a concurrent map, replaced whole; the count
 * they are kept for changes under this object's lock.
 */
public final class BucketSettings {
  private static final long CALL_MILLIS = CoordinatorLink.CALL_MILLIS;

  /** One bucket's documents by kind, read when the table's count of changes was {@code changes}. */
  private record Copy(Map<String, ByteString> documents, long changes) {}

  private final CoordinatorLink link;
  private final SiteSession session;
  private final ConcurrentHashMap<String, Copy> copies = new ConcurrentHashMap<>();

  /** The reported count of setting changes the copies are kept for (-1: none reported yet). */
  private volatile long keptFor = -1;

  BucketSettings(CoordinatorLink link, SiteSession session) {
    this.link = link;
    this.session = session;
  }

  /** The document of kind {@code kind} set for {@code bucket}, or null if none is. */
  public byte @Nullable [] get(String bucket, String kind) {
    long reported = session.settingsChanges();
    if (reported != keptFor) {
      synchronized (this) {
        if (reported != keptFor) {
          copies.clear();
          keptFor = reported;
        }
      }
    }
    Copy copy = copies.get(bucket);
    if (copy == null) {
      copy = call(SetBucketSetting.newBuilder().setBucket(bucket).setLookup(true));
    }
    ByteString document = copy.documents().get(kind);
    return document == null ? null : document.toByteArray();
  }

  /** Sets the document of kind {@code kind} for {@code bucket}; null removes it. */
  public void set(String bucket, String kind, byte @Nullable [] document) {
    call(
        SetBucketSetting.newBuilder()
            .setBucket(bucket)
            .setKind(kind)
            .setDocument(document == null ? ByteString.EMPTY : ByteString.copyFrom(document)));
  }

  /** Keeps the settings another answer about {@code bucket} carried (a binding's). */
  void seed(String bucket, CommandResult reply) {
    keep(bucket, new Copy(Map.copyOf(reply.getSettingsMap()), reply.getSettingsChanges()));
  }

  private Copy call(SetBucketSetting.Builder request) {
    session.require();
    CommandResult reply =
        link.submit(Command.newBuilder().setSetBucketSetting(request).build(), CALL_MILLIS);
    if (reply.getOutcome() != Outcome.OK) {
      throw new LeaseUnavailableException(
          LeaseUnavailableException.Reason.UNREACHABLE,
          "The coordinator did not answer for the settings of bucket " + request.getBucket() + ".");
    }
    Copy copy = new Copy(Map.copyOf(reply.getSettingsMap()), reply.getSettingsChanges());
    keep(request.getBucket(), copy);
    return copy;
  }

  private synchronized void keep(String bucket, Copy copy) {
    // Under the lock that drops the copies: a copy read before a reported change is not kept.
    if (copy.changes() < keptFor) {
      return;
    }
    // A later copy (by the count) is never replaced by an earlier one that raced it.
    copies.merge(bucket, copy, (old, now) -> now.changes() >= old.changes() ? now : old);
  }
}
