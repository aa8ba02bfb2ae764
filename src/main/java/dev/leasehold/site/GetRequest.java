package dev.leasehold.site;

import org.jspecify.annotations.Nullable;

/**
 * A read of one object: all of it, a byte range, or one part. Immutable.
 *
 * @param range the bytes asked for, or null for all
 * @param partNumber the part asked for, or null
 * @param preconditions the conditional headers
 */
public record GetRequest(
    String bucket,
    String key,
    @Nullable ByteRange range,
    @Nullable Integer partNumber,
    Preconditions preconditions) {

  public static GetRequest whole(String bucket, String key, Preconditions preconditions) {
    return new GetRequest(bucket, key, null, null, preconditions);
  }
}
