package dev.leasehold.peer;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A read one site asks of the site that owns the object: a GET or HEAD, as the client sent it.
 * Immutable.
 *
 * @param body whether the bytes are wanted (a GET) or only the answer (a HEAD)
 * @param range the Range header, or null
 * @param partNumber the part asked for, or null
 * @param ownedOnly whether to answer only if this site owns the object now ({@link
 *     ReadReply.NotOwner} otherwise): the asking site came straight here, on what an earlier
 *     redirect told it, without asking the coordinator
 */
public record PeerRead(
    String bucket,
    String key,
    boolean body,
    @Nullable String range,
    @Nullable Integer partNumber,
    @Nullable String ifMatch,
    @Nullable String ifNoneMatch,
    @Nullable Instant ifModifiedSince,
    @Nullable Instant ifUnmodifiedSince,
    boolean ownedOnly) {}
