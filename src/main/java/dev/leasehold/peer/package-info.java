/**
 * The site-to-site link (docs/protocol.md, Redirects and the peer link): a request for an object
 * another site owns is proxied to that site's peer port, authenticated with the namespace's peer
 * secret, and its answer relayed to the client unchanged and uncached; a LIST asks the owners of
 * unflushed writes under its prefix for them. This package owns the wire — {@link
 * dev.leasehold.peer.PeerServer}, {@link dev.leasehold.peer.PeerClient} and their codec — and the
 * site answers through {@link dev.leasehold.peer.PeerService}.
 */
@NullMarked
package dev.leasehold.peer;

import org.jspecify.annotations.NullMarked;
