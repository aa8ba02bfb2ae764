package dev.leasehold.lease;

/**
 * The coordinator refused a commit: the WRITE grant it named was no longer this site's (the session
 * lapsed and another site was granted WRITE). The change at the origin was fenced by a conditional
 * write; the client gets 503 and may retry.
 */
public final class StaleEpochException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StaleEpochException(String message) {
    super(message, null, false, false);
  }
}
