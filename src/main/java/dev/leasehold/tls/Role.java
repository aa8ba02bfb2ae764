package dev.leasehold.tls;

import java.util.Locale;
import java.util.Optional;

/**
 * What a certificate of the namespace was issued for, written as its subject's organisational unit
 * ({@code OU=node}, {@code OU=client}, {@code OU=operator}).
 */
public enum Role {
  /** A site or a coordinator peer: its name is the site's name or the peer's id. */
  NODE,
  /** A person or tool that may read the namespace's state. */
  CLIENT,
  /** A person or tool that may also change it: declare a site lost, set a write mode, bind. */
  OPERATOR;

  /** The organisational unit this role is written as. */
  public String unit() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Optional<Role> ofUnit(String unit) {
    for (Role r : values()) {
      if (r.unit().equals(unit)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
