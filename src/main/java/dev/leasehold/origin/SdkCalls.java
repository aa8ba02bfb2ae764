package dev.leasehold.origin;

import dev.leasehold.error.S3Error;
import dev.leasehold.error.S3Exception;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Runs calls of the AWS SDK against an S3 origin and turns their failures into the S3 errors a
 * client of the site should see: the origin's own code where it gave one (NoSuchKey,
 * PreconditionFailed, ...), ServiceUnavailable where the origin could not be reached or refused the
 * site's own credentials. Stateless.
 */
final class SdkCalls {
  private SdkCalls() {}

  static <T> T call(String what, Supplier<T> call) {
    try {
      return call.get();
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      throw translate(what, e);
    } catch (SdkClientException e) {
      throw S3Error.SERVICE_UNAVAILABLE
          .exception("The origin could not be reached while " + what + ".")
          .causedBy(e);
    }
  }

  private static S3Exception translate(
      String what, software.amazon.awssdk.services.s3.model.S3Exception e) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    if ("SignatureDoesNotMatch".equals(code)
        || "InvalidAccessKeyId".equals(code)
        || "RequestTimeTooSkewed".equals(code)) {
      // The site's own credentials or clock, not the client's request: the origin is unusable.
      return S3Error.SERVICE_UNAVAILABLE
          .exception("The origin refused this site's request (" + code + ") while " + what + ".")
          .causedBy(e);
    }
    S3Error error = code == null ? null : S3Error.ofCode(code).orElse(null);
    if (error == null) {
      error =
          switch (e.statusCode()) {
            case 400 -> S3Error.BAD_REQUEST; // a HEAD's refusal, which has no body to say more
            case 404 -> S3Error.NO_SUCH_KEY;
            case 405 -> S3Error.METHOD_NOT_ALLOWED; // a HEAD of a delete marker's version
            case 412 -> S3Error.PRECONDITION_FAILED;
            case 416 -> S3Error.INVALID_RANGE;
            case 501 -> S3Error.NOT_IMPLEMENTED;
            case 503 -> S3Error.SLOW_DOWN;
            default -> e.statusCode() >= 500 ? S3Error.SERVICE_UNAVAILABLE : S3Error.INTERNAL_ERROR;
          };
    }
    String message = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
    return error
        .exception(message == null || message.isBlank() ? error.message() : message)
        .causedBy(
            new IllegalStateException("origin answered " + e.statusCode() + " while " + what, e));
  }
}
