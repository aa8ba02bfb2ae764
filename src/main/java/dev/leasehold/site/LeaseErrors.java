package dev.leasehold.site;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import dev.leasehold.lease.LeaseUnavailableException;
import dev.leasehold.lease.StaleEpochException;

/**
 * What a client sees when a lease cannot be had (docs/protocol.md, Guarantee): 503, never data the
 * site holds no lease on. {@code ServiceUnavailable} when the site has no valid session or cannot
 * reach the coordinator; {@code SlowDown} when a conflicting write held the element too long or the
 * site's write grant was taken over. Stateless.
 */
final class LeaseErrors {
  private LeaseErrors() {}

  static S3Exception of(LeaseUnavailableException e) {
    S3Error error =
        e.reason() == LeaseUnavailableException.Reason.BUSY
            ? S3Error.SLOW_DOWN
            : S3Error.SERVICE_UNAVAILABLE;
    String message = e.getMessage();
    return (message == null ? error.exception() : error.exception(message)).causedBy(e);
  }

  static S3Exception of(StaleEpochException e) {
    return S3Error.SLOW_DOWN
        .exception("The write lost its lease before it could commit; retry it.")
        .causedBy(e);
  }
}
