package dev.leasehold.site;

import static dev.leasehold.object.ObjectInfo.etagOf;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.error.WouldWait;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.Leases;
import dev.leasehold.lease.OwnerElsewhereException;
import dev.leasehold.lease.ReadLease;
import dev.leasehold.lease.WriteLease;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.origin.Origin;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The first step of every read: which version of an object the site may serve now
 * (docs/protocol.md, Leases). Cached chunks are keyed by version, so what this answers is what the
 * read serves.
 *
 * <ol>
 *   <li>holding READ(E), with the version it names seen at the origin by this site within {@code
 *       originCheck}: that version, with no call leaving the site;
 *   <li>otherwise, acquire READ(E): one round trip to the coordinator, which names the version;
 *   <li>if the coordinator does not know the version (never written through Leasehold), or this
 *       site has not seen it at the origin within {@code originCheck}: one HEAD at the origin,
 *       whose answer the lease then carries.
 * </ol>
 *
 * <p>A site that owns the element (write-back) serves the version its WRITE lease names, from its
 * journal or the origin, with no call.
 *
 * <p>The origin check bounds how long a write made directly at the origin, behind Leasehold, goes
 * unseen at a site: a read that starts {@code originCheck} after such a write (plus the time one
 * HEAD takes) returns it. It costs at most one HEAD per object read, per site, per {@code
 * originCheck}; {@code 0s} asks the origin on every read. A version this site wrote itself counts
 * as seen when it was committed. Writes through Leasehold are seen everywhere at once, whatever
 * this bound.
 *
 * <p>A key read all the time is asked of the origin ahead of the bound, in the background, once
 * half of it has passed ({@link #checkAhead}), so its reads do not wait for a HEAD.
 *
 * <p>Thread-safe: the map of origin checks is a Caffeine cache, written by reads, commits and the
 * checks ahead; the set of checks ahead in flight is concurrent.
 */
final class LeaseVersionCheck {
  private record Key(String bucket, String key) {}

  /** When this site last saw a version at the origin (or committed it). */
  private record Seen(long version, @Nullable String etag, long nanos) {}

  private final Leases leases;
  private final Origin origin;
  private final long originCheckNanos;
  private final LongSupplier nanoTime;
  private final Cache<Key, Seen> seen;

  /** Keys whose version is being asked of the origin ahead of the bound ({@link #checkAhead}). */
  private final java.util.Set<Key> checking = java.util.concurrent.ConcurrentHashMap.newKeySet();

  LeaseVersionCheck(Leases leases, Origin origin, Duration originCheck, LongSupplier nanoTime) {
    this.leases = leases;
    this.origin = origin;
    this.originCheckNanos = originCheck.toNanos();
    this.nanoTime = nanoTime;
    this.seen = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(originCheck).build();
  }

  /**
   * The version to serve; {@code NoSuchKey} or {@code NoSuchBucket} if there is none. With {@code
   * recheck}, the origin is asked whatever the site saw before (a fetch found the version gone).
   */
  ObjectInfo current(String bucket, String key, boolean recheck) {
    return current(bucket, key, recheck, false, null);
  }

  /** The place in the coordinator's log this site's session has heard of (docs/protocol.md). */
  Leases.Heard heard() {
    return leases.heard();
  }

  /** How long a version seen at the origin is served without asking it again. */
  Duration originCheck() {
    return Duration.ofNanos(originCheckNanos);
  }

  /**
   * Whether finding the version to serve asks the coordinator: this site neither owns the object,
   * nor holds READ on it, nor holds a prefix lease over it, nor is writing it (its own commit names
   * the version).
   */
  boolean asksCoordinator(String bucket, String key) {
    return leases.owned(bucket, key) == null
        && leases.held(bucket, key) == null
        && leases.prefixFor(bucket, key) == null
        && !leases.writing(bucket, key);
  }

  /**
   * As {@link #current(String, String, boolean)}; with {@code redirectable}, an object another site
   * owns may be answered with {@link OwnerElsewhereException} (proxy the read there); with the
   * origin asked beside the grant ({@code peek}), an answer naming the version the grant names is
   * the origin check.
   */
  ObjectInfo current(
      String bucket,
      String key,
      boolean recheck,
      boolean redirectable,
      OriginPeeks.@Nullable Asked peek) {
    return current(bucket, key, recheck, redirectable, peek, ASKS);
  }

  /** How many times a known version the origin contradicts is asked of the coordinator again. */
  private static final int ASKS = 3;

  /**
   * A known version the origin contradicts is asked of the coordinator again, up to {@code asks}
   * times, before the origin's answer is taken (docs/protocol.md, Reads: a held version the origin
   * contradicts): each new version the coordinator names is checked the same way, and one that is
   * still contradicted after the last is not served (503 SlowDown).
   */
  private ObjectInfo current(
      String bucket,
      String key,
      boolean recheck,
      boolean redirectable,
      OriginPeeks.@Nullable Asked peek,
      int asks) {
    try {
      WriteLease mine = leases.owned(bucket, key);
      if (mine != null) {
        return ownedVersion(mine, key);
      }
      Key k = new Key(bucket, key);
      ReadLease lease = leases.held(bucket, key);
      if (lease == null) {
        lease = leases.acquireRead(bucket, key, redirectable);
        // The coordinator may have answered that this site owns the element (it came back and its
        // journal was taken back meanwhile, or by this very acquire): the origin is behind the
        // journal then, and must not be asked which version to serve.
        mine = leases.owned(bucket, key);
        if (mine != null) {
          return ownedVersion(mine, key);
        }
        if (!leases.valid()) {
          // The session lapsed since the answer (an owned element then reads as not owned): the
          // origin may be behind this site's journal, so nothing is served.
          throw LeaseUnavailableException.noSession();
        }
      }
      long now = nanoTime.getAsLong();
      if (peek != null && !recheck && lease.known()) {
        // Asked of the origin during this read: if it holds the version the grant names, that
        // answer is as good as a HEAD now. Another answer (older, newer, none) changes nothing:
        // the origin is asked again below.
        OriginPeeks.Answer answer = peek.answer();
        if (answer != null && Objects.equals(etagOf(answer.version()), etagOf(lease.info()))) {
          // Seen when the origin answered (a shared answer may be a moment old), not now; the
          // answer's time is System.nanoTime's, as this check's clock is outside tests.
          seen.put(k, new Seen(lease.version(), etagOf(lease.info()), answer.at()));
        }
      } else if (peek != null && !recheck && lease.grant() != 0) {
        // A version the table does not know: the origin's answer stands for the HEAD if it was
        // asked for after the table's last change of the element was applied, as this session had
        // heard of it then (docs/protocol.md, Reads: a version the table does not know).
        OriginPeeks.Answer answer = peek.answer();
        Leases.Heard heard = answer == null ? null : answer.heard();
        if (answer != null
            && heard != null
            && heard.session() == lease.session()
            && lease.changedAt() <= heard.point()) {
          lease = leases.learned(lease, answer.version());
          seen.put(k, new Seen(lease.version(), etagOf(lease.info()), answer.at()));
        }
      }
      if (recheck || !lease.known() || !seenLately(k, lease, now)) {
        ObjectInfo there = headOrNull(origin, bucket, key);
        if (lease.known() && !Objects.equals(etagOf(there), etagOf(lease.info()))) {
          // Not served under this lease: it may be a write waiting for its grant, which readers
          // of the version before must not see. The coordinator says, once that write ended.
          if (asks == 0) {
            throw S3Error.SLOW_DOWN.exception(
                "The object changed during each of " + ASKS + " looks at it; retry.");
          }
          ReadLease again = leases.askAgain(lease, redirectable);
          boolean same =
              again.version() == lease.version()
                  && again.known()
                  && Objects.equals(etagOf(again.info()), etagOf(lease.info()));
          if (!same || leases.owned(bucket, key) != null) {
            return current(bucket, key, false, redirectable, null, asks - 1);
          }
          lease = again; // the same version: the origin changed behind Leasehold
        }
        lease = leases.learned(lease, there);
        seen.put(k, new Seen(lease.version(), etagOf(lease.info()), now));
      }
      ObjectInfo info = lease.info();
      if (info == null) {
        throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
      }
      return info;
    } catch (LeaseUnavailableException e) {
      throw LeaseErrors.of(e);
    }
  }

  /**
   * The version to serve if this site can name it with no call (the first case above, or owning the
   * element), for a read on a thread that may not wait; {@link WouldWait} if it cannot, and {@code
   * NoSuchKey} if the version it names is none.
   */
  ObjectInfo currentNow(String bucket, String key) {
    WriteLease mine = leases.owned(bucket, key);
    if (mine != null) {
      return ownedVersion(mine, key);
    }
    ReadLease lease = leases.held(bucket, key);
    if (lease == null
        || !lease.known()
        || !seenLately(new Key(bucket, key), lease, nanoTime.getAsLong())) {
      throw WouldWait.now();
    }
    ObjectInfo info = lease.info();
    if (info == null) {
      throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
    }
    return info;
  }

  /** The version of an element this site owns (write-back): its latest, from its journal. */
  private static ObjectInfo ownedVersion(WriteLease mine, String key) {
    ObjectInfo info = mine.info();
    if (info == null) {
      throw S3Error.NO_SUCH_KEY.exception().with("Key", key);
    }
    return info;
  }

  /** This site committed {@code lease}'s version, which it started writing at {@code nanos}. */
  void wrote(ReadLease lease, long nanos) {
    seen.put(
        new Key(lease.bucket(), lease.key()),
        new Seen(lease.version(), etagOf(lease.info()), nanos));
  }

  private boolean seenLately(Key k, ReadLease lease, long now) {
    Seen s = seen.getIfPresent(k);
    if (s == null
        || s.version() != lease.version()
        || !Objects.equals(s.etag(), etagOf(lease.info()))
        || now - s.nanos() > originCheckNanos) {
      return false;
    }
    if (now - s.nanos() > originCheckNanos / 2) {
      checkAhead(k, lease);
    }
    return true;
  }

  /**
   * Asks the origin again, in the background, about a version served since more than half the
   * origin check: a key read all the time then never reaches the bound, and its reads never wait
   * for a HEAD (every read at once did, each its own, when the bound passed: a stall of the hottest
   * key every {@code originCheck}). The answer counts as seen when the HEAD was sent, as a read's
   * own does, and only if it names the version still held; any other answer changes nothing, and
   * the first read past the bound asks for itself. One at a time per key.
   */
  private void checkAhead(Key k, ReadLease lease) {
    if (!checking.add(k)) {
      return;
    }
    Thread.ofVirtual()
        .name("origin-check")
        .start(() -> {
          try {
            long sent = nanoTime.getAsLong();
            ObjectInfo there = headOrNull(origin, k.bucket(), k.key());
            ReadLease held = leases.held(k.bucket(), k.key());
            String etag = etagOf(lease.info());
            if (held != null
                && held.version() == lease.version()
                && Objects.equals(etagOf(held.info()), etag)
                && Objects.equals(etagOf(there), etag)) {
              Seen asked = new Seen(lease.version(), etag, sent);
              // A newer look (a read's own HEAD meanwhile) stays: never replaced by an older one.
              seen.asMap()
                  .merge(k, asked, (was, now) -> was.nanos() - now.nanos() >= 0 ? was : now);
            }
          } catch (RuntimeException e) {
            // the origin is down or refused: the first read past the bound asks, and sees why
          } finally {
            checking.remove(k);
          }
        });
  }

  /** The object's current version at the origin, or null if it has none. */
  static @Nullable ObjectInfo headOrNull(Origin origin, String bucket, String key) {
    try {
      return origin.head(bucket, key);
    } catch (S3Exception e) {
      if (e.error() == S3Error.NO_SUCH_KEY) {
        return null;
      }
      throw e;
    }
  }
}
