package dev.leasehold.protocol;

/**
 * The versions of the protocol between sites and the coordinator, and between peers through the log
 * (docs/protocol.md, Versions of the protocol). A release speaks its own version and the one
 * before: it may run beside the previous release in a rolling upgrade, in either direction.
 * Stateless.
 */
public final class ProtocolVersions {
  /**
   * This release's. 2 added the requests {@code EndSession} (a site's graceful stop) and {@code
   * Reconfigure}, and the versions themselves in {@code RegisterRequest} and {@code RegisterReply}.
   * It added no command to the log.
   */
  public static final int CURRENT = 2;

  /** The oldest a site or peer of this release works with: the release before. */
  public static final int OLDEST = 1;

  /** The version that brought {@code EndSession}: a coordinator below it does not know it. */
  public static final int END_SESSION = 2;

  private ProtocolVersions() {}

  /** The version a message's field names: unset (0) came from a release before version 2. */
  public static int of(int field) {
    return field == 0 ? 1 : field;
  }
}
