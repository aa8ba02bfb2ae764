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
    String payloadHash) {}
