package dev.leasehold.telemetry;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/** The process's logging (logback). Stateless. */
public final class Logs {
  private Logs() {}

  /**
   * Stops logging after writing what is still queued (the access log's last lines): the last step
   * of a shutdown, after everything that logs has stopped.
   */
  public static void stop() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }
}
