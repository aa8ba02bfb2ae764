package dev.leasehold.lease;

import dev.leasehold.protocol.BindBucket;
import dev.leasehold.protocol.Command;
import dev.leasehold.protocol.CommandResult;
import dev.leasehold.protocol.DeclareLost;
import dev.leasehold.protocol.GroupPeer;
import dev.leasehold.protocol.Outcome;
import dev.leasehold.protocol.ReconfigureReply;
import dev.leasehold.protocol.ReconfigureRequest;
import dev.leasehold.protocol.RedirectPolicy;
import dev.leasehold.protocol.SetBucketMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The calls that change the namespace rather than a lease, beside {@link CoordinatorQueries}: a
 * bucket's write mode and redirect policy, which origin a bucket lives in, and declaring a site
 * lost. Each is one round trip to the coordinator's leader, through its log.
 *
 * <p>Thread-safe: stateless over the session and the link.
 */
public final class CoordinatorAdmin {
  private static final long CALL_MILLIS = CoordinatorLink.CALL_MILLIS;

  private final CoordinatorLink link;
  private final CoordinatorLink operatorLink;
  private final SiteSession session;
  private final BucketSettings settings;

  /**
   * @param link the site's link, for what a site may ask (binding a bucket)
   * @param operatorLink the link operators' commands go over: with mutual TLS, one presenting an
   *     operator's certificate, or the coordinator refuses them
   */
  CoordinatorAdmin(
      CoordinatorLink link,
      CoordinatorLink operatorLink,
      SiteSession session,
      BucketSettings settings) {
    this.link = link;
    this.operatorLink = operatorLink;
    this.session = session;
    this.settings = settings;
  }

  /** Sets a bucket's write mode at the coordinator (every site follows it), policy adaptive. */
  public void setWriteBack(String bucket, boolean writeBack) {
    setWriteMode(bucket, writeBack, "adaptive");
  }

  /**
   * Sets a bucket's write mode and what a request for an object owned elsewhere does: {@code
   * adaptive}, {@code redirect} or {@code recall} (docs/protocol.md, Leases).
   */
  public void setWriteMode(String bucket, boolean writeBack, String policy) {
    RedirectPolicy p =
        switch (policy) {
          case "adaptive" -> RedirectPolicy.ADAPTIVE;
          case "redirect" -> RedirectPolicy.REDIRECT_ALWAYS;
          case "recall" -> RedirectPolicy.RECALL;
          default ->
              throw new IllegalArgumentException(
                  "policy must be adaptive, redirect or recall, not '" + policy + "'");
        };
    CommandResult reply =
        operatorLink.submit(
            Command.newBuilder()
                .setSetBucketMode(
                    SetBucketMode.newBuilder()
                        .setBucket(bucket)
                        .setWriteBack(writeBack)
                        .setPolicy(p))
                .build(),
            CALL_MILLIS);
    if (reply.getOutcome() != Outcome.OK) {
      throw new LeaseUnavailableException(
          LeaseUnavailableException.Reason.UNREACHABLE,
          "The coordinator did not set the mode of " + bucket + " (" + reply.getOutcome() + ").");
    }
  }

  /**
   * Changes the coordinator group (an operator's command, with the operator's certificate): {@code
   * add-peer} ID at ADDRESS (its Raft port), {@code remove-peer} ID, {@code transfer-leader} ID, or
   * {@code show}. Answers the group after the change: {@code peers} (id → Raft address) and {@code
   * leader}.
   */
  public Map<String, Object> changeGroup(String change, String id, String address) {
    ReconfigureRequest.Builder r = ReconfigureRequest.newBuilder();
    switch (change) {
      case "add-peer" -> r.setAddPeer(GroupPeer.newBuilder().setId(id).setAddress(address));
      case "remove-peer" -> r.setRemovePeer(id);
      case "transfer-leader" -> r.setTransferLeader(id);
      case "show" -> r.setShow(true);
      default ->
          throw new IllegalArgumentException(
              "a change of the group is add-peer, remove-peer or transfer-leader, not '"
                  + change
                  + "'");
    }
    ReconfigureReply reply = operatorLink.reconfigure(r.build(), RECONFIGURE_MILLIS);
    Map<String, String> peers = new TreeMap<>();
    reply.getPeersList().forEach(p -> peers.put(p.getId(), p.getAddress()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("peers", peers);
    out.put("leader", reply.getLeaderId());
    return out;
  }

  /** How long a change of the group may take: a new peer catches up first, or an election. */
  private static final long RECONFIGURE_MILLIS = 90_000;

  /**
   * Declares a site lost: its unflushed versions fall back to their last clean ones. Returns the
   * lost elements as {@code bucket/key}.
   */
  public List<String> declareLost(String site) {
    CommandResult reply =
        operatorLink.submit(
            Command.newBuilder().setDeclareLost(DeclareLost.newBuilder().setSite(site)).build(),
            CALL_MILLIS);
    if (reply.getOutcome() == Outcome.BUSY) {
      throw new IllegalArgumentException(
          "site "
              + site
              + " has a live session: it may still serve what it owns until its own deadline, so"
              + " it is not lost; declare it lost once its session has expired");
    }
    if (reply.getOutcome() != Outcome.OK) {
      throw new LeaseUnavailableException(
          LeaseUnavailableException.Reason.UNREACHABLE,
          "The coordinator did not declare " + site + " lost (" + reply.getOutcome() + ").");
    }
    List<String> out = new ArrayList<>();
    reply.getDirtyList().forEach(e -> out.add(e.getBucket() + "/" + e.getKey()));
    reply.getLostPrefixesList().forEach(p -> out.add(p + "*"));
    return out;
  }

  /**
   * The origin {@code bucket} lives in, as the coordinator's bucket table says; if the bucket was
   * not bound yet, it is bound to {@code origin} (this site's). One round trip.
   */
  public String bindBucket(String bucket, String origin) {
    return bucketCall(BindBucket.newBuilder().setBucket(bucket).setOrigin(origin));
  }

  /** The origin {@code bucket} is bound to, or empty if no site bound it; binds nothing. */
  public String boundOrigin(String bucket) {
    return bucketCall(BindBucket.newBuilder().setBucket(bucket).setLookup(true));
  }

  private String bucketCall(BindBucket.Builder request) {
    String bucket = request.getBucket();
    session.require(); // only a site with a session may bind a bucket
    CommandResult reply =
        link.submit(Command.newBuilder().setBindBucket(request).build(), CALL_MILLIS);
    if (reply.getOutcome() != Outcome.OK) {
      throw new LeaseUnavailableException(
          LeaseUnavailableException.Reason.UNREACHABLE,
          "The coordinator did not say which origin bucket " + bucket + " lives in.");
    }
    settings.seed(bucket, reply);
    return reply.getOrigin();
  }
}
