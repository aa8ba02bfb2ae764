package dev.leasehold.error;

/**
 * A request tried on the thread that must not wait (the S3 endpoint's event loop, serving a hit
 * there; docs/design.md, Hits on the event loop) came to something that waits: a call to the
 * coordinator, the origin or another site, a chunk to load. It stops there, having sent nothing,
 * and the request is served again from the start on a thread of its own, as every request was
 * before. Never an error a client sees.
 *
 * <p>The places that wait check {@link #check()} before they start anything; the code between them
 * and the request's entry lets this exception through untouched (it is no {@link S3Exception}, and
 * nothing on a read's way catches {@code RuntimeException} but to close what it opened and
 * rethrow).
 *
 * <p>Thread-safe: the mark is the thread's own, set and cleared by {@link #attempt} on that thread
 * only. The one instance carries no stack: it is control flow, thrown on every hit that misses.
 */
public final class WouldWait extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private static final WouldWait INSTANCE = new WouldWait();

  /** Set on a thread while {@link #attempt} runs there: nothing may wait. */
  private static final ThreadLocal<Boolean> REFUSED = new ThreadLocal<>();

  private WouldWait() {
    super("a wait on a thread that must not wait", null, false, false);
  }

  /**
   * Runs {@code task} on this thread with every wait refused: true if it ran to its end, false if
   * it stopped at a wait.
   */
  public static boolean attempt(Runnable task) {
    REFUSED.set(Boolean.TRUE);
    try {
      task.run();
      return true;
    } catch (WouldWait w) {
      return false;
    } finally {
      REFUSED.remove();
    }
  }

  /** Whether this thread may not wait now. Requests' own (virtual) threads always may. */
  public static boolean refused() {
    return !Thread.currentThread().isVirtual() && REFUSED.get() != null;
  }

  /** Throws if this thread may not wait: called where something would. */
  public static void check() {
    if (refused()) {
      throw INSTANCE;
    }
  }

  /** The exception {@link #check()} throws, for a place that decides for itself. */
  public static WouldWait now() {
    return INSTANCE;
  }
}
