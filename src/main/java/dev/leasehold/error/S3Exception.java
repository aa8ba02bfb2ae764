package dev.leasehold.error;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An S3 error on its way to the client: the code and status of an {@link S3Error}, a message that
 * names what was wrong, and the extra elements AWS adds to some errors (such as {@code BucketName}
 * or {@code Condition}).
 *
 * <p>Thrown from any layer; rendered once, by the S3 front end. Immutable after construction.
 */
public final class S3Exception extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final S3Error error;
  private final Map<String, String> details;

  S3Exception(S3Error error, String message) {
    this(error, message, Map.of(), null);
  }

  private S3Exception(
      S3Error error, String message, Map<String, String> details, @Nullable Throwable cause) {
    super(message, cause, false, false);
    this.error = error;
    this.details = details;
  }

  public S3Error error() {
    return error;
  }

  /** Extra elements rendered after {@code <Message>}, in insertion order. */
  public Map<String, String> details() {
    return details;
  }

  /** This error with one more detail element, such as {@code BucketName}. */
  public S3Exception with(String element, String value) {
    Map<String, String> more = new LinkedHashMap<>(details);
    more.put(element, value);
    return new S3Exception(error, getMessage(), Collections.unmodifiableMap(more), getCause());
  }

  /** This error, recording the low-level failure that led to it (for logs, never for clients). */
  public S3Exception causedBy(Throwable cause) {
    return new S3Exception(error, getMessage(), details, cause);
  }

  @Override
  public String getMessage() {
    String message = super.getMessage();
    return message == null ? error.message() : message;
  }
}
