package dev.leasehold.site;

import dev.leasehold.object.ObjectInfo;

/**
 * A conditional GET or HEAD whose version is the one the client has: 304, with the version's
 * validators in the response headers. Immutable.
 */
public final class NotModifiedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ObjectInfo version;

  NotModifiedException(ObjectInfo version) {
    super("Not Modified", null, false, false);
    this.version = version;
  }

  public ObjectInfo version() {
    return version;
  }
}
