package dev.leasehold.site;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.leasehold.cache.ChunkCache;
import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.error.WouldWait;
import dev.leasehold.lease.OwnerElsewhereException;
import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.PartSpan;
import dev.leasehold.origin.Origin;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The read path, in three named steps:
 *
 * <ol>
 *   <li><b>version</b>: which version may be served ({@link LeaseVersionCheck}: a held lease, or
 *       one round trip to acquire it, with the origin asked at the same time, {@link OriginPeeks});
 *   <li><b>preconditions</b>: the conditional headers against that version (304, 412);
 *   <li><b>span</b>: the bytes asked for (range, part, or all; 416) and its first chunk, from the
 *       cache or the origin.
 * </ol>
 *
 * <p>If the object changes at the origin between the first step and the third, the read starts
 * again from the first; it never mixes versions. An object another site owns (write-back) may be
 * read through that site instead ({@link PeerReads}), as the bucket's policy decides. Thread-safe.
 */
final class ReadPath {
  /**
   * How many times a read whose version left the origin before its bytes were fetched starts again.
   * Each loss is to a write that began after the read's grant, whose end the next grant waits for;
   * under writes of one key that follow each other closely a read loses several in a row (three at
   * 50 ms from the coordinator, one read in a few hundred), so eight, not three.
   */
  private static final int ATTEMPTS = 8;

  /** How long a redirect's owner is asked straight: the adaptive policy's window. */
  static final Duration OWNER_HINT = Duration.ofSeconds(2);

  private final LeaseVersionCheck versions;
  private final ChunkCache cache;
  private final Origin origin;
  private final PeerReads peers;
  private final OriginPeeks peeks;

  private record Key(String bucket, String key) {}

  /**
   * The owner each recent redirect named, asked straight next time (docs/protocol.md, Redirects and
   * the peer link): for as long as the adaptive policy's window, after which the coordinator is
   * asked again and may recall the owner instead. A Caffeine cache: written and read by requests,
   * entries dropped by the owner's refusal or by age.
   */
  private final Cache<Key, OwnerElsewhereException> owners =
      Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(OWNER_HINT).build();

  ReadPath(LeaseVersionCheck versions, ChunkCache cache, Origin origin, PeerReads peers) {
    this.versions = versions;
    this.cache = cache;
    this.origin = origin;
    this.peers = peers;
    this.peeks = new OriginPeeks(origin, cache, versions.originCheck(), versions::heard);
  }

  /**
   * @param body whether the bytes will be sent (a GET) or only described (a HEAD); a HEAD fetches
   *     nothing
   */
  ObjectRead read(GetRequest request, boolean body) {
    return read(request, body, true);
  }

  /**
   * @param redirectable whether an object another site owns may be read through that site (the
   *     bucket's policy decides); false for a read that came from another site already
   */
  ObjectRead read(GetRequest request, boolean body, boolean redirectable) {
    if (WouldWait.refused()) {
      return readNow(request, body);
    }
    Key k = new Key(request.bucket(), request.key());
    if (redirectable) {
      OwnerElsewhereException owner = owners.getIfPresent(k);
      if (owner != null && versions.asksCoordinator(request.bucket(), request.key())) {
        ObjectRead read = peers.readIfOwner(owner, request, body);
        if (read != null) {
          return read;
        }
        owners.asMap().remove(k, owner); // not the owner any more (or gone): ask the coordinator
      }
    }
    for (int attempt = 1; ; attempt++) {
      ObjectInfo version;
      // A cold read asks the origin while it asks the coordinator: one round trip, not three
      // (grant, HEAD, GET), when both name the same version.
      OriginPeeks.@Nullable Asked peek =
          attempt == 1 && versions.asksCoordinator(request.bucket(), request.key())
              ? peeks.ask(request, body)
              : null;
      try {
        version =
            versions.current(request.bucket(), request.key(), attempt > 1, redirectable, peek);
      } catch (OwnerElsewhereException owner) {
        owners.put(k, owner);
        return peers.read(owner, request, body);
      } finally {
        if (peek != null) {
          peek.proceed(); // the coordinator answered: the origin's bytes may flow
        }
      }
      checkPreconditions(request.preconditions(), version);
      try {
        return span(request, version, body, peek, false);
      } catch (S3Exception e) {
        if (e.error() != S3Error.PRECONDITION_FAILED) {
          throw e;
        }
        // The version is gone from the origin (changed behind Leasehold's back): ask it again.
        // Past the last attempt the client is told to retry: no condition of its own failed.
        if (attempt >= ATTEMPTS) {
          throw S3Error.SLOW_DOWN
              .exception(
                  "The object changed at the origin during each of "
                      + ATTEMPTS
                      + " reads of it; retry.")
              .causedBy(e);
        }
      }
    }
  }

  /**
   * A read on a thread that may not wait (docs/design.md, Hits on the event loop): the three steps
   * with nothing asked of anyone, so only a version this site may serve as it stands (owned, or
   * under a READ lease it holds, seen at the origin within the origin check: {@link
   * LeaseVersionCheck#currentNow}); the bytes are found when they are sent ({@link ChunkReader}).
   * Whatever would need a call is {@link WouldWait}.
   */
  private ObjectRead readNow(GetRequest request, boolean body) {
    ObjectInfo version = versions.currentNow(request.bucket(), request.key());
    checkPreconditions(request.preconditions(), version);
    return span(request, version, body, null, false);
  }

  /**
   * A read of version {@code versionId}, which takes no lease (docs/protocol.md, Versions): the
   * origin names the version, and its bytes are the same wherever they are cached (chunks are keyed
   * by ETag), so only whether it still exists is asked, of the origin, each time.
   */
  ObjectRead readVersion(GetRequest request, String versionId, boolean body) {
    WouldWait.check(); // the origin is asked every time
    ObjectInfo version = origin.headVersion(request.bucket(), request.key(), versionId);
    checkPreconditions(request.preconditions(), version);
    return span(request, version, body, null, true);
  }

  /**
   * Where part {@code partNumber} of a named version lies: from the parts its origin names for that
   * ETag (any version, not only the latest), else as the latest's.
   */
  private PartSpan partOfVersion(GetRequest request, ObjectInfo version, int partNumber) {
    List<dev.leasehold.object.PartInfo> parts =
        origin.objectParts(request.bucket(), request.key(), version.etag());
    if (parts.isEmpty()) {
      return origin.partSpan(request.bucket(), request.key(), version.etag(), partNumber);
    }
    long offset = 0;
    for (dev.leasehold.object.PartInfo p : parts) {
      if (p.partNumber() == partNumber) {
        return new PartSpan(offset, p.size(), parts.size());
      }
      offset += p.size();
    }
    throw S3Error.INVALID_PART_NUMBER.exception();
  }

  private static void checkPreconditions(Preconditions preconditions, ObjectInfo version) {
    switch (preconditions.evaluate(version)) {
      case PROCEED -> {}
      case NOT_MODIFIED -> throw new NotModifiedException(version);
      case PRECONDITION_FAILED -> throw S3Error.PRECONDITION_FAILED.exception();
    }
  }

  /**
   * @param byVersion whether the bytes are read from the origin by version id (a read of a named
   *     version), not as the key's current version
   */
  private ObjectRead span(
      GetRequest request,
      ObjectInfo version,
      boolean body,
      OriginPeeks.@Nullable Asked peek,
      boolean byVersion) {
    ByteSpan span;
    boolean partial;
    Integer partsCount = null;
    Integer partNumber = request.partNumber();
    if (partNumber != null) {
      // An object not uploaded in parts is its own part 1; beyond the last part, nothing.
      int parts = Math.max(1, version.partsCount());
      if (partNumber > parts) {
        throw S3Error.INVALID_PART_NUMBER.exception();
      }
      if (version.partsCount() > 0) {
        WouldWait.check(); // where the part lies is the origin's to say
      }
      if (version.partsCount() == 0) {
        span = new ByteSpan(0, version.size());
        partial = false;
        partsCount = 1;
      } else {
        PartSpan part =
            byVersion
                ? partOfVersion(request, version, partNumber)
                : origin.partSpan(request.bucket(), request.key(), version.etag(), partNumber);
        span = new ByteSpan(part.offset(), part.length());
        partial = true;
        partsCount = part.partsCount();
      }
    } else if (request.range() != null) {
      span = request.range().resolve(version.size());
      partial = true;
    } else {
      span = new ByteSpan(0, version.size());
      partial = false;
    }
    ChunkReader chunks = new ChunkReader(cache, origin, request.bucket(), version, byVersion);
    if (peek != null && peek.asker()) {
      OriginPeeks.Answer answer = peek.answer();
      if (answer != null
          && answer.version() != null
          && answer.version().etag().equals(version.etag())) {
        chunks.loadedBeforehand(answer.loading());
      }
    }
    if (body && span.length() > 0 && !WouldWait.refused()) {
      chunks.prepare(span); // else found when sent, or not at all: nothing is loaded then
    }
    return new ObjectRead(version, span, partial, partsCount, chunks);
  }
}
