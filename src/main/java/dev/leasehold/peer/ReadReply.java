package dev.leasehold.peer;

import dev.leasehold.object.ObjectInfo;
import org.jspecify.annotations.Nullable;

/** The owner's answer to a {@link PeerRead} that did not fail. Immutable. */
public sealed interface ReadReply {
  /**
   * The version served, and which of its bytes follow.
   *
   * @param partial whether the bytes are a part of the object (206)
   * @param partsCount the object's part count, when a part was asked for
   */
  record Found(
      ObjectInfo info, long offset, long length, boolean partial, @Nullable Integer partsCount)
      implements ReadReply {}

  /** A precondition said the client's copy is current (304). */
  record NotModified(ObjectInfo info) implements ReadReply {}

  /**
   * This site does not own the object (any more), and the read asked to be answered only if it did:
   * the asking site goes to the coordinator instead. Nothing was read.
   */
  record NotOwner() implements ReadReply {}
}
