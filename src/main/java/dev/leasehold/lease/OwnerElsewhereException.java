package dev.leasehold.lease;

/**
 * The element is owned by another site (write-back) and the bucket's policy says to proxy the
 * request there rather than recall the owner (docs/protocol.md, Redirects and the peer link).
 * Nothing was granted. Carries the way forward: the owner and where it is reached.
 */
public final class OwnerElsewhereException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String owner;
  private final String address;

  public OwnerElsewhereException(String owner, String address) {
    super("owned by site " + owner + " at " + address, null, false, false);
    this.owner = owner;
    this.address = address;
  }

  public String owner() {
    return owner;
  }

  /** The owner's peer port, such as {@code http://10.0.0.2:9002}. */
  public String address() {
    return address;
  }
}
