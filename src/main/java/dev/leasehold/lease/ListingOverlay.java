package dev.leasehold.lease;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.DirtyElement;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.PrefixOwner;
import dev.leasehold.protocol.ReadOverlay;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The listing overlay (docs/protocol.md, Listing): which buckets a LIST must merge it in, as the
 * coordinator answers every registration and renewal, and which sites may hold unflushed writes
 * under a prefix, read through the coordinator's log.
 *
 * <p>Thread-safe: stateless over the session and the link.
 */
public final class ListingOverlay {
  private static final long CALL_MILLIS = CoordinatorLink.CALL_MILLIS;

  private final CoordinatorLink link;
  private final SiteSession session;

  ListingOverlay(CoordinatorLink link, SiteSession session) {
    this.link = link;
    this.session = session;
  }

  /** Whether a LIST in {@code bucket} must merge the coordinator's overlay. */
  public boolean overlaid(String bucket) {
    return session.overlaid(bucket);
  }

  /**
   * The sites that may hold unflushed writes under a prefix of a bucket (each once): one
   * linearizable read of the coordinator's overlay.
   */
  public List<DirtyOwner> overlay(String bucket, String prefix) {
    session.require();
    CommandResult reply =
        link.submit(
            Command.newBuilder()
                .setOverlay(ReadOverlay.newBuilder().setBucket(bucket).setPrefix(prefix))
                .build(),
            CALL_MILLIS);
    if (reply.getOutcome() != Outcome.OK) {
      throw new LeaseUnavailableException(
          LeaseUnavailableException.Reason.UNREACHABLE,
          "The coordinator did not answer the listing overlay (" + reply.getOutcome() + ").");
    }
    Map<String, DirtyOwner> owners = new LinkedHashMap<>();
    for (DirtyElement d : reply.getDirtyList()) {
      owners.merge(
          d.getSite(),
          new DirtyOwner(d.getSite(), d.getAddress(), d.getDown()),
          (a, b) -> a.down() ? a : b);
    }
    for (PrefixOwner p : reply.getPrefixOwnersList()) {
      owners.merge(
          p.getSite(),
          new DirtyOwner(p.getSite(), p.getAddress(), p.getDown()),
          (a, b) -> a.down() ? a : b);
    }
    return List.copyOf(owners.values());
  }
}
