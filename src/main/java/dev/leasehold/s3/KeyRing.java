package dev.leasehold.s3;

import org.jspecify.annotations.Nullable;

/**
 * Key pairs other than the site's own, each with its scope ({@code --credentials FILE}). An
 * implementation is safe to call from any request thread at once.
 */
@FunctionalInterface
public interface KeyRing {
  /** No key pairs beyond the site's own. */
  KeyRing NONE = accessKey -> null;

  /** A secret key and what its pair may do. {@link #toString} never shows the secret. */
  record Key(String secretKey, KeyScope scope) {
    @Override
    public String toString() {
      return "Key[scope=" + scope + "]";
    }
  }

  /** The key pair of {@code accessKey}, or null if there is none. */
  @Nullable Key find(String accessKey);
}
