package dev.leasehold.site;

import java.io.InputStream;

/**
 * The body of an incoming write as the S3 front end hands it over: a stream of exactly {@code
 * length} bytes that ends only if every integrity check on them held (signatures, Content-MD5,
 * checksums) and throws an {@link dev.leasehold.error.S3Exception} otherwise, so that nothing is
 * stored from a body that fails a check. Confined to the request's thread.
 */
public record Upload(InputStream stream, long length) {}
