package dev.leasehold.site;

import dev.leasehold.object.ObjectInfo;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.jspecify.annotations.Nullable;

/**
 * The conditional headers of a read ({@code If-Match}, {@code If-None-Match}, {@code
 * If-Modified-Since}, {@code If-Unmodified-Since}, or their {@code x-amz-copy-source-if-*} forms)
 * and their evaluation against a version, as RFC 9110 section 13.2.2 orders them and S3 applies
 * them: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since.
 *
 * <p>Immutable; {@link #evaluate} is a pure function.
 *
 * @param copySource whether these are the conditions on a copy source
 */
public record Preconditions(
    @Nullable String ifMatch,
    @Nullable String ifNoneMatch,
    @Nullable Instant ifModifiedSince,
    @Nullable Instant ifUnmodifiedSince,
    boolean copySource) {

  public static final Preconditions NONE = new Preconditions(null, null, null, null, false);

  public Preconditions(
      @Nullable String ifMatch,
      @Nullable String ifNoneMatch,
      @Nullable Instant ifModifiedSince,
      @Nullable Instant ifUnmodifiedSince) {
    this(ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince, false);
  }

  /** These conditions on a copy source, where "not modified" fails the copy with 412. */
  public Preconditions forCopy() {
    return new Preconditions(ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince, true);
  }

  /** What a read does, given its preconditions. */
  public enum Outcome {
    PROCEED,
    /** 304 for GET and HEAD; 412 for a copy source. */
    NOT_MODIFIED,
    PRECONDITION_FAILED
  }

  public Outcome evaluate(ObjectInfo version) {
    // HTTP dates have whole seconds; compare the version's time at that precision.
    Instant modified = version.lastModified().truncatedTo(ChronoUnit.SECONDS);
    if (ifMatch != null) {
      if (!matches(ifMatch, version.etag())) {
        return Outcome.PRECONDITION_FAILED;
      }
    } else if (ifUnmodifiedSince != null && modified.isAfter(ifUnmodifiedSince)) {
      return Outcome.PRECONDITION_FAILED;
    }
    if (ifNoneMatch != null) {
      if (matches(ifNoneMatch, version.etag())) {
        return notModified();
      }
    } else if (ifModifiedSince != null && !modified.isAfter(ifModifiedSince)) {
      return notModified();
    }
    return Outcome.PROCEED;
  }

  private Outcome notModified() {
    return copySource ? Outcome.PRECONDITION_FAILED : Outcome.NOT_MODIFIED;
  }

  /** Whether a list of entity tags ({@code "a", W/"b"} or {@code *}) names {@code etag}. */
  static boolean matches(String header, String etag) {
    for (String candidate : header.split(",")) {
      String tag = candidate.trim();
      if (tag.equals("*")) {
        return true;
      }
      if (tag.startsWith("W/")) {
        tag = tag.substring(2);
      }
      if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
        tag = tag.substring(1, tag.length() - 1);
      }
      if (tag.equals(etag)) {
        return true;
      }
    }
    return false;
  }
}
