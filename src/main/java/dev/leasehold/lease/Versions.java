package dev.leasehold.lease;

import dev.leasehold.object.ObjectInfo;
import dev.leasehold.object.ObjectMetadata;
import dev.leasehold.protocol.AcquireReply;
import dev.leasehold.protocol.Element;
import dev.leasehold.protocol.ObjectMeta;
import dev.leasehold.protocol.VersionInfo;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** Versions between the coordinator's protocol and the site's vocabulary. Stateless. */
final class Versions {
  private Versions() {}

  static Element element(String bucket, String key) {
    return Element.newBuilder().setBucket(bucket).setKey(key).build();
  }

  /** The object a known version describes, or null if it says the object does not exist. */
  static @Nullable ObjectInfo info(String key, VersionInfo v) {
    if (!v.getExists()) {
      return null;
    }
    ObjectMeta m = v.getMetadata();
    return new ObjectInfo(
        key,
        v.getSize(),
        v.getEtag(),
        Instant.ofEpochMilli(v.getLastModifiedMillis()),
        new ObjectMetadata(
            m.hasContentType() ? m.getContentType() : null,
            m.hasContentEncoding() ? m.getContentEncoding() : null,
            m.hasContentDisposition() ? m.getContentDisposition() : null,
            m.hasContentLanguage() ? m.getContentLanguage() : null,
            m.hasCacheControl() ? m.getCacheControl() : null,
            m.hasExpires() ? m.getExpires() : null,
            m.getUserMap(),
            m.hasChecksum() ? dev.leasehold.object.Checksum.decode(m.getChecksum()) : null),
        v.getPartsCount(),
        v.hasVersionId() ? v.getVersionId() : null);
  }

  /** The WRITE grant an acquire of {@code bucket/key} under {@code session} answered with. */
  static WriteLease grant(String bucket, String key, long session, AcquireReply reply) {
    VersionInfo v = reply.getVersion();
    VersionInfo clean = reply.getClean();
    return new WriteLease(
        bucket,
        key,
        session,
        reply.getEpoch(),
        v.getVersion(),
        v.getKnown(),
        v.getKnown() ? info(key, v) : null,
        reply.getWriteBack(),
        reply.getJournalSeq(),
        clean.getKnown(),
        clean.getKnown() ? info(key, clean) : null);
  }

  /**
   * The grant of an element the coordinator says is dirty at this site under {@code session}:
   * {@code v} is the version committed to journal entry {@code seq}, {@code clean} the origin's.
   */
  static WriteLease dirty(
      String bucket,
      String key,
      long session,
      long epoch,
      VersionInfo v,
      long seq,
      VersionInfo clean) {
    return new WriteLease(
        bucket,
        key,
        session,
        epoch,
        v.getVersion(),
        true,
        info(key, v),
        true,
        seq,
        clean.getKnown(),
        clean.getKnown() ? info(key, clean) : null);
  }

  /** The version record of a stored object (null: deleted). */
  static VersionInfo proto(@Nullable ObjectInfo info) {
    VersionInfo.Builder v = VersionInfo.newBuilder().setKnown(true);
    if (info == null) {
      return v.setExists(false).build();
    }
    ObjectMetadata m = info.metadata();
    ObjectMeta.Builder meta = ObjectMeta.newBuilder().putAllUser(m.user());
    set(m.contentType(), meta::setContentType);
    set(m.contentEncoding(), meta::setContentEncoding);
    set(m.contentDisposition(), meta::setContentDisposition);
    set(m.contentLanguage(), meta::setContentLanguage);
    set(m.cacheControl(), meta::setCacheControl);
    set(m.expires(), meta::setExpires);
    if (m.checksum() != null) {
      meta.setChecksum(m.checksum().encoded());
    }
    if (info.versionId() != null) {
      v.setVersionId(info.versionId());
    }
    return v.setExists(true)
        .setEtag(info.etag())
        .setSize(info.size())
        .setLastModifiedMillis(info.lastModified().toEpochMilli())
        .setMetadata(meta)
        .setPartsCount(info.partsCount())
        .build();
  }

  private static void set(@Nullable String value, java.util.function.Consumer<String> setter) {
    if (value != null) {
      setter.accept(value);
    }
  }
}
