package dev.leasehold.object;

import org.jspecify.annotations.Nullable;

/**
 * A precondition on a write, checked atomically with it by the origin: none, "only if absent"
 * ({@code If-None-Match: *}), or "only if the current ETag is this one" ({@code If-Match}).
 *
 * <p>Immutable.
 */
public record WriteCondition(boolean ifAbsent, @Nullable String ifMatch) {
  public static final WriteCondition NONE = new WriteCondition(false, null);
  public static final WriteCondition IF_ABSENT = new WriteCondition(true, null);

  public static WriteCondition ifMatch(String etag) {
    return new WriteCondition(false, etag);
  }

  /**
   * The fence on a version: the origin still holds {@code version} ({@code If-Match} its ETag), or
   * still holds nothing ({@code If-None-Match: *}) for null.
   */
  public static WriteCondition heldAt(@Nullable ObjectInfo version) {
    return version == null ? IF_ABSENT : ifMatch(version.etag());
  }

  public boolean isNone() {
    return !ifAbsent && ifMatch == null;
  }
}
