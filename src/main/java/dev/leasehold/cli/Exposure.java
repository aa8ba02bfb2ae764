package dev.leasehold.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plain, unauthenticated listening is for loopback only (docs/security.md): a site or peer without
 * the namespace's certificates starts only if every address it listens on is a loopback address,
 * unless the operator says {@code --insecure}, which is then logged as a warning at start and every
 * hour. Stateless.
 */
final class Exposure {
  private static final Logger LOG = LoggerFactory.getLogger(Exposure.class);

  private Exposure() {}

  /**
   * Refuses to start, with a message that says what to do, if any of {@code binds} (setting → the
   * address it listens on) is not loopback while the links are plain; with {@code insecure}, warns
   * instead, now and every hour.
   */
  static void check(String command, Map<String, String> binds, boolean secure, boolean insecure) {
    if (secure) {
      return;
    }
    for (Map.Entry<String, String> b : binds.entrySet()) {
      if (loopback(b.getValue())) {
        continue;
      }
      String what =
          b.getKey() + " " + b.getValue() + " is not a loopback address and the links are plain";
      if (!insecure) {
        throw new ConfigException(
            b.getKey(),
            "'"
                + b.getValue()
                + "' is not a loopback address, and without --certs-dir every internal link is"
                + " plain and unauthenticated. Create the namespace's certificates (leasehold"
                + " certs, see docs/security.md) and give --certs-dir, or give --insecure to serve"
                + " other machines without authentication.");
      }
      Runnable warn =
          () ->
              LOG.warn(
                  "INSECURE: leasehold {} runs with --insecure: {}; anyone who reaches it is"
                      + " trusted (docs/security.md)",
                  command,
                  what);
      warn.run();
      Thread.ofPlatform()
          .daemon()
          .name("insecure-warning")
          .start(() -> {
            while (true) {
              try {
                TimeUnit.HOURS.sleep(1);
              } catch (InterruptedException e) {
                return;
              }
              warn.run();
            }
          });
      return;
    }
  }

  private static boolean loopback(String address) {
    try {
      for (InetAddress a : InetAddress.getAllByName(address.trim())) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false; // not resolvable here: the start fails on it anyway
    }
  }
}
