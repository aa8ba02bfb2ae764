package dev.leasehold.s3;

/**
 * A request whose Signature V4 checked out, with what its body's chunk signatures chain from.
 * Immutable.
 *
 * @param accessKey who signed
 * @param keyScope what the signer's key pair may do
 * @param timestamp the signed {@code yyyyMMdd'T'HHmmss'Z'} time
 * @param scope {@code date/region/s3/aws4_request}
 * @param signingKey the derived key, for chunk and trailer signatures
 * @param signature the request's signature, the seed of the chunk signature chain
 * @param payloadHash the signed {@code x-amz-content-sha256} value (or {@code UNSIGNED-PAYLOAD})
 */
@SuppressWarnings("ArrayRecordComponent") // never compared or hashed; passed along, read-only
record Authentication(
    String accessKey,
    KeyScope keyScope,
    String timestamp,
    String scope,
    byte[] signingKey,
    String signature,
    String payloadHash) {

  /**
   * A request that carries no signature at all: allowed only where the bucket's policy allows
   * everyone ({@link BucketPolicy}); its key pair covers no bucket.
   */
  static final Authentication ANONYMOUS =
      new Authentication(
          "-",
          new KeyScope(java.util.Set.of(), false),
          "",
          "",
          new byte[0],
          "",
          Authenticator.UNSIGNED_PAYLOAD);

  boolean anonymous() {
    return this == ANONYMOUS;
  }
}
