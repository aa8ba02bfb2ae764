package dev.leasehold.s3;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** Request ids for {@code x-amz-request-id}: 16 random hex digits. Thread-safe. */
final class RequestIds {
  private RequestIds() {}

  static String next() {
    return HexFormat.of().withUpperCase().toHexDigits(ThreadLocalRandom.current().nextLong());
  }
}
