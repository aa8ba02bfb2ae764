package dev.leasehold.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * The session options a coordinator group is started with (docs/protocol.md, Sessions), shared by
 * {@code coordinator} and {@code demo} (which passes them to its peers): how long a session lives
 * without a renewal, and the bound on clock-rate differences. Validated when read; a picocli mixin,
 * filled once on the command's thread.
 */
final class SessionOptions {
  @Option(
      names = "--ttl",
      paramLabel = "DURATION",
      description = "Session lifetime without a renewal. Default: ${DEFAULT-VALUE}.")
  String ttl = "10s";

  @Option(
      names = "--drift",
      paramLabel = "FRACTION",
      description =
          "Bound on clock-rate differences between machines. Default: ${DEFAULT-VALUE} (1%%).")
  String drift = "0.01";

  /** The session lifetime, checked. */
  Duration ttl() {
    return Values.duration("ttl", ttl);
  }

  /** The drift bound, checked. */
  double drift() {
    return Values.fraction("drift", drift);
  }

  /** The options again, for a peer this process starts. */
  java.util.List<String> asArguments() {
    return java.util.List.of("--ttl=" + ttl, "--drift=" + drift);
  }
}
