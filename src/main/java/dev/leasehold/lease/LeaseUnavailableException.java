package dev.leasehold.lease;

/**
 * A lease cannot be had now: the session has lapsed (the site is past its local deadline), the
 * coordinator cannot be reached, or a conflicting write did not finish in time. The site answers
 * 503; it never serves data it holds no lease on.
 */
public final class LeaseUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why, in the terms of S3's 503 answers. */
  public enum Reason {
    /** The session with the coordinator is not valid: ServiceUnavailable. */
    NO_SESSION,
    /** The coordinator did not answer: ServiceUnavailable. */
    UNREACHABLE,
    /** A conflicting write held the element too long: SlowDown. */
    BUSY,
    /** The element is dirty at a site that is down (write-back): ServiceUnavailable. */
    OWNER_DOWN,
    /** The coordinator refused this caller's certificate for the request: ServiceUnavailable. */
    REFUSED
  }

  private final Reason reason;

  public LeaseUnavailableException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  /** The site is past its session's deadline. */
  public static LeaseUnavailableException noSession() {
    return new LeaseUnavailableException(
        Reason.NO_SESSION,
        "This site has no valid session with the coordinator (past its lease deadline).");
  }

  public Reason reason() {
    return reason;
  }
}
