/**
 * Site-to-site calls for redirected requests (docs/protocol.md, Leases: redirect): a request for an
 * object another site owns is proxied to that site's peer endpoint, authenticated with the
 * namespace's peer secret, and its answer relayed to the client unchanged and uncached.
 */
@NullMarked
package dev.leasehold.peer;

import org.jspecify.annotations.NullMarked;
