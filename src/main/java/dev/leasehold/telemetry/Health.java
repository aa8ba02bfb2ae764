package dev.leasehold.telemetry;

/**
 * Whether a site can serve: ready, or not and why. Immutable.
 *
 * @param ready whether every dependency is available
 * @param reason what is missing, empty when ready
 */
public record Health(boolean ready, String reason) {
  public static final Health READY = new Health(true, "");

  public static Health notReady(String reason) {
    return new Health(false, reason);
  }
}
