package dev.leasehold.s3;

/**
 * The access key and secret key clients sign with. Immutable; {@link #toString} never shows the
 * secret.
 */
public record Credentials(String accessKey, String secretKey) {
  @Override
  public String toString() {
    return "Credentials[accessKey=" + accessKey + "]";
  }
}
