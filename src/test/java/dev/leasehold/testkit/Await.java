package dev.leasehold.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition, with a bound: the test fails, naming what it waited for, past it. */
public final class Await {
  private Await() {}

  /** Returns once {@code condition} holds; fails after {@code timeout}, saying {@code what}. */
  public static void until(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
    }
  }
}
