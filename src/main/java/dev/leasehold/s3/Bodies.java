package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import dev.leasehold.site.Upload;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Turns a request's body into a verified stream: framing ({@code Content-Length}, or {@code
 * aws-chunked} with {@code x-amz-decoded-content-length}), chunk signatures, and the integrity
 * checks the client asked for ({@link IntegrityStream}). Stateless; thread-safe.
 */
final class Bodies {
  /** S3's largest single PUT. */
  static final long MAX_PUT = 5L * 1024 * 1024 * 1024;

  private Bodies() {}

  /** The body of an object or part upload. */
  static Upload upload(S3Request request, Exchange exchange, Authentication auth) {
    String mode = auth.payloadHash();
    boolean streaming = mode.startsWith("STREAMING-");
    long length = streaming ? decodedLength(request) : contentLength(request);
    if (length > MAX_PUT) {
      throw S3Error.ENTITY_TOO_LARGE
          .exception()
          .with("ProposedSize", Long.toString(length))
          .with("MaxSizeAllowed", Long.toString(MAX_PUT));
    }
    IntegrityStream body = verified(request, exchange, auth, streaming);
    return new Upload(body, length, body::checked);
  }

  /** A small body (an XML document), read whole; {@code MaxMessageLengthExceeded} past limit. */
  static byte[] small(S3Request request, Exchange exchange, Authentication auth, int limit) {
    boolean streaming = auth.payloadHash().startsWith("STREAMING-");
    long length = streaming ? decodedLength(request) : contentLength(request);
    if (length > limit) {
      throw S3Error.MAX_MESSAGE_LENGTH_EXCEEDED.exception();
    }
    try (InputStream in = verified(request, exchange, auth, streaming)) {
      // Never more than the declared length: an aws-chunked body may declare a small decoded
      // length and send chunks without end, which read whole would fill the heap.
      byte[] body = in.readNBytes((int) length);
      if (body.length != length) {
        throw S3Error.INCOMPLETE_BODY.exception();
      }
      if (in.read() >= 0) {
        throw S3Error.INVALID_REQUEST.exception("The body is longer than its declared length.");
      }
      return body;
    } catch (IOException e) {
      throw S3Error.INCOMPLETE_BODY.exception().causedBy(e);
    }
  }

  private static IntegrityStream verified(
      S3Request request, Exchange exchange, Authentication auth, boolean streaming) {
    InputStream raw = exchange.body();
    AwsChunkedStream chunked = null;
    if (streaming) {
      chunked =
          new AwsChunkedStream(new BufferedInputStream(raw, 64 * 1024), auth.payloadHash(), auth);
      raw = chunked;
    }
    String sha256 =
        streaming || auth.payloadHash().equals(Authenticator.UNSIGNED_PAYLOAD)
            ? null
            : auth.payloadHash();
    byte[] md5 = contentMd5(request);
    ChecksumAlgorithm algorithm = null;
    Supplier<@Nullable String> expected = () -> null;
    for (Map.Entry<String, String> h : request.headers()) {
      ChecksumAlgorithm a = ChecksumAlgorithm.ofHeader(h.getKey());
      if (a != null) {
        if (algorithm != null) {
          throw S3Error.INVALID_REQUEST.exception(
              "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
        }
        algorithm = a;
        String value = h.getValue();
        a.decode(value); // a malformed value fails before the body is read
        expected = () -> value;
      }
    }
    String trailer = request.header("x-amz-trailer");
    if (trailer != null) {
      ChecksumAlgorithm a = ChecksumAlgorithm.ofHeader(trailer.trim());
      if (a == null || chunked == null || auth.payloadHash().equals(AwsChunkedStream.SIGNED)) {
        throw S3Error.INVALID_REQUEST.exception(
            "The value specified in the x-amz-trailer header is not supported");
      }
      if (algorithm != null) {
        throw S3Error.INVALID_REQUEST.exception(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
      }
      algorithm = a;
      AwsChunkedStream stream = chunked;
      String name = a.header();
      expected = () -> stream.trailers().get(name);
    }
    String sdkAlgorithm = request.header("x-amz-sdk-checksum-algorithm");
    if (sdkAlgorithm != null) {
      ChecksumAlgorithm named = ChecksumAlgorithm.ofLabel(sdkAlgorithm.trim());
      if (named == null) {
        throw S3Error.INVALID_REQUEST.exception(
            "Checksum algorithm provided is unsupported. Please try again with any of the valid"
                + " types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
      }
      if (algorithm == null) {
        throw S3Error.INVALID_REQUEST.exception(
            "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or"
                + " x-amz-trailer headers were found.");
      }
      if (algorithm != named) {
        throw S3Error.INVALID_REQUEST.exception(
            "Value for x-amz-sdk-checksum-algorithm header is invalid.");
      }
    }
    return new IntegrityStream(raw, sha256, md5, algorithm, expected);
  }

  private static byte @Nullable [] contentMd5(S3Request request) {
    String header = request.header("Content-MD5");
    if (header == null) {
      return null;
    }
    try {
      byte[] md5 = Base64.getDecoder().decode(header.trim());
      if (md5.length == 16) {
        return md5;
      }
    } catch (IllegalArgumentException notBase64) {
      // reported below
    }
    throw S3Error.INVALID_DIGEST.exception();
  }

  private static long contentLength(S3Request request) {
    String header = request.header("Content-Length");
    if (header == null) {
      throw S3Error.MISSING_CONTENT_LENGTH.exception();
    }
    return parseLength(header, "Content-Length");
  }

  private static long decodedLength(S3Request request) {
    String header = request.header("x-amz-decoded-content-length");
    if (header == null) {
      throw S3Error.MISSING_CONTENT_LENGTH.exception(
          "You must provide the x-amz-decoded-content-length header with an aws-chunked body.");
    }
    return parseLength(header, "x-amz-decoded-content-length");
  }

  private static long parseLength(String value, String name) {
    try {
      long length = Long.parseLong(value.trim());
      if (length >= 0) {
        return length;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw S3Error.INVALID_ARGUMENT
        .exception("The " + name + " header is not a valid length.")
        .with("ArgumentName", name)
        .with("ArgumentValue", value);
  }
}
