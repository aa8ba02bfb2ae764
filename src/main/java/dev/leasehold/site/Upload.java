package dev.leasehold.site;

import dev.leasehold.object.Checksum;
import java.io.InputStream;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The body of an incoming write as the S3 front end hands it over: a stream of exactly {@code
 * length} bytes that ends only if every integrity check on them held (signatures, Content-MD5,
 * checksums) and throws an {@link dev.leasehold.error.S3Exception} otherwise, so that nothing is
 * stored from a body that fails a check. Confined to the request's thread.
 *
 * @param length its length in bytes, or -1 if it is known only at its end (a browser upload's file,
 *     framed by a form)
 * @param checksum the {@code x-amz-checksum-*} the body was verified against, asked for once the
 *     stream has ended (a trailer arrives last); null if the writer sent none
 */
public record Upload(InputStream stream, long length, Supplier<@Nullable Checksum> checksum) {

  /** A body that carries no checksum of its own. */
  public Upload(InputStream stream, long length) {
    this(stream, length, () -> null);
  }
}
