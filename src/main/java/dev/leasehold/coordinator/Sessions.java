package dev.leasehold.coordinator;

import dev.leasehold.protocol.SessionState;
import dev.leasehold.protocol.SiteEntry;
import dev.leasehold.protocol.TableSnapshot;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The sessions of the lease table (docs/protocol.md, Sessions): one per registered site, numbered
 * by the table and never reused, each with the renewals applied and the elements it holds a lease
 * on (or waits for). Also the namespace's peer secret, which the first registration brings.
 *
 * <p>Ending a session drops its leases, which the other parts hold: {@link LeaseTable#apply} does
 * that, with what {@link #remove} answers.
 *
 * <p>Snapshot part: {@code sessions}, {@code next_session}, {@code peer_secret}.
 *
 * <p><b>Threading.</b> Part of the {@link LeaseTable}: confined to the state machine's apply
 * thread.
 */
final class Sessions {
  /** One site's session. */
  static final class Session {
    final long id;
    final String site;

    /** Its admin endpoint, for operators. */
    final String address;

    /** Its peer port, where other sites reach it (redirects, listings). */
    final String peerAddress;

    long renewals;

    /** The elements it holds a lease on or waits for WRITE of: what its end must release. */
    final Set<ElementKey> held = new LinkedHashSet<>();

    Session(long id, String site, String address, String peerAddress, long renewals) {
      this.id = id;
      this.site = site;
      this.address = address;
      this.peerAddress = peerAddress;
      this.renewals = renewals;
    }
  }

  private final Map<Long, Session> sessions = new LinkedHashMap<>();
  private long nextSession = 1;

  /** The secret sites present at each other's peer ports: the first registration's. */
  private String peerSecret = "";

  @Nullable Session get(long id) {
    return sessions.get(id);
  }

  Collection<Session> all() {
    return sessions.values();
  }

  /** The sessions of {@code site} (a site's earlier lives, before it registers again). */
  List<Long> ofSite(String site) {
    List<Long> out = new ArrayList<>();
    for (Session s : sessions.values()) {
      if (s.site.equals(site)) {
        out.add(s.id);
      }
    }
    return out;
  }

  /**
   * Opens a new session for {@code site}; the caller has ended its earlier ones. Its id is {@code
   * proposed} (the leader's random draw) unless that is 0 (a log entry from before ids were drawn)
   * or live, when it is the next of the table's counter: deterministic either way.
   */
  Session open(String site, String address, String peerAddress, long proposed) {
    long id = proposed;
    if (id == 0 || sessions.containsKey(id)) {
      while (sessions.containsKey(nextSession)) {
        nextSession++;
      }
      id = nextSession++;
    }
    Session s = new Session(id, site, address, peerAddress, 0);
    sessions.put(s.id, s);
    return s;
  }

  @Nullable Session remove(long id) {
    return sessions.remove(id);
  }

  /** The namespace's peer secret: {@code offered} if it has none yet. */
  String peerSecret(String offered) {
    if (peerSecret.isEmpty()) {
      peerSecret = offered;
    }
    return peerSecret;
  }

  /** The name of the site whose session this is, or empty. */
  String siteOf(long id) {
    Session s = sessions.get(id);
    return s == null ? "" : s.site;
  }

  /** Where other sites reach the site whose session this is (its peer port), or empty. */
  String peerAddressOf(long id) {
    Session s = sessions.get(id);
    return s == null ? "" : s.peerAddress;
  }

  /** Records that {@code id} holds a lease on {@code key}, if it is live. */
  void holds(long id, ElementKey key) {
    Session s = sessions.get(id);
    if (s != null) {
      s.held.add(key);
    }
  }

  /** Records that {@code id} holds no lease on {@code key} any more, if it is live. */
  void released(long id, ElementKey key) {
    Session s = sessions.get(id);
    if (s != null) {
      s.held.remove(key);
    }
  }

  long renewals(long id) {
    Session s = sessions.get(id);
    return s == null ? -1 : s.renewals;
  }

  /** Every session and its renewal count. */
  Map<Long, Long> renewalsById() {
    Map<Long, Long> out = new LinkedHashMap<>();
    sessions.values().forEach(s -> out.put(s.id, s.renewals));
    return out;
  }

  /** The addresses each site with a live session gave, by site name. */
  Map<String, SiteEntry> addressesBySite() {
    Map<String, SiteEntry> out = new TreeMap<>();
    sessions
        .values()
        .forEach(s ->
            out.put(
                s.site,
                SiteEntry.newBuilder()
                    .setSite(s.site)
                    .setAddress(s.address)
                    .setPeerAddress(s.peerAddress)
                    .build()));
    return java.util.Collections.unmodifiableMap(out);
  }

  /** The site of each session. */
  Map<Long, String> sitesById() {
    Map<Long, String> out = new java.util.HashMap<>();
    sessions.forEach((id, s) -> out.put(id, s.site));
    return Map.copyOf(out);
  }

  int size() {
    return sessions.size();
  }

  void snapshot(TableSnapshot.Builder b) {
    b.setNextSession(nextSession).setPeerSecret(peerSecret);
    for (Session s : sessions.values()) {
      b.addSessions(
          SessionState.newBuilder()
              .setId(s.id)
              .setSite(s.site)
              .setAddress(s.address)
              .setPeerAddress(s.peerAddress)
              .setRenewals(s.renewals));
    }
  }

  /** Restores the sessions; what each holds is restored by the parts that hold the leases. */
  void restore(TableSnapshot snapshot) {
    sessions.clear();
    peerSecret = snapshot.getPeerSecret();
    nextSession = snapshot.getNextSession();
    for (SessionState s : snapshot.getSessionsList()) {
      sessions.put(
          s.getId(),
          new Session(s.getId(), s.getSite(), s.getAddress(), s.getPeerAddress(), s.getRenewals()));
    }
  }
}
