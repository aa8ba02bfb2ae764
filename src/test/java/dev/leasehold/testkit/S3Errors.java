package dev.leasehold.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.api.Assertions;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The S3 errors a client call fails with, as the AWS SDK reports them. Stateless. */
public final class S3Errors {
  private S3Errors() {}

  /** The S3 error {@code call} fails with; the test fails if it does not fail with one. */
  public static S3Exception of(ThrowingCallable call) {
    Throwable t = Assertions.catchThrowable(call);
    assertThat(t).as("an S3 error").isInstanceOf(S3Exception.class);
    return (S3Exception) t;
  }

  /** Asserts that {@code call} fails with HTTP {@code status} and S3 error code {@code code}. */
  public static void assertError(ThrowingCallable call, int status, String code) {
    S3Exception e = of(call);
    assertThat(e.statusCode()).as(e.getMessage()).isEqualTo(status);
    assertThat(e.awsErrorDetails().errorCode()).as(e.getMessage()).isEqualTo(code);
  }
}
