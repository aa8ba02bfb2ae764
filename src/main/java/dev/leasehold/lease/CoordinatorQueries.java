package dev.leasehold.lease;

import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.ElementView;
import dev.leasehold.protocol.InspectElements;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.StatusReply;
import java.util.List;
import java.util.Map;

/**
 * What operators ask the coordinator (through a site's link): the group and the sites with
 * sessions, and the lease table under a prefix. Nothing here takes or gives a lease.
 *
 * <p>Thread-safe: stateless over a thread-safe link.
 */
public final class CoordinatorQueries {
  private final CoordinatorLink link;

  public CoordinatorQueries(CoordinatorLink link) {
    this.link = link;
  }

  /**
   * Every site with a live session, by name, with the peer port it registered (where the other
   * sites of the namespace ask it); any coordinator peer answers. Empty if none can be reached.
   */
  public Map<String, String> sites() {
    StatusReply reply = status();
    Map<String, String> sites = new java.util.TreeMap<>();
    reply.getSitesList().forEach(e -> sites.put(e.getSite(), e.getPeerAddress()));
    return sites;
  }

  /**
   * The coordinator group as a peer sees it: the leader, the peers and their client addresses, the
   * sites with sessions. Any peer answers; the default instance if none can be reached.
   */
  public StatusReply status() {
    try {
      return link.status(1_000, 2_000);
    } catch (LeaseUnavailableException e) {
      return StatusReply.getDefaultInstance();
    }
  }

  /**
   * The coordinator's lease table under a prefix: each element's version and the sites holding
   * READ, WRITE, or waiting for WRITE (at most {@code limit}, in key order). One round trip.
   */
  public List<ElementView> inspect(String bucket, String prefix, int limit) {
    CommandResult reply =
        link.submit(
            Command.newBuilder()
                .setInspect(
                    InspectElements.newBuilder()
                        .setBucket(bucket)
                        .setPrefix(prefix)
                        .setLimit(limit))
                .build(),
            CoordinatorLink.CALL_MILLIS);
    if (reply.getOutcome() != Outcome.OK) {
      throw new LeaseUnavailableException(
          LeaseUnavailableException.Reason.UNREACHABLE,
          "The coordinator did not answer (" + reply.getOutcome() + ").");
    }
    return reply.getElementsList();
  }
}
