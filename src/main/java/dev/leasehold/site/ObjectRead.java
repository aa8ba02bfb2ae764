package dev.leasehold.site;

import dev.leasehold.object.ObjectInfo;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * A read that may proceed: the version being served, the bytes of it to send, and a way to send
 * them. By the time a read is handed out its first bytes are in (the origin answered with them, or
 * the chunk was cached), so the errors a client should see (the object changed, the origin is down)
 * come before any header is sent.
 *
 * <p>Confined to the request's thread; {@link #transferTo} runs once.
 */
public final class ObjectRead {
  private final ObjectInfo info;
  private final ByteSpan span;
  private final boolean partial;
  private final @Nullable Integer partsCount;
  private final SpanSource chunks;

  ObjectRead(
      ObjectInfo info,
      ByteSpan span,
      boolean partial,
      @Nullable Integer partsCount,
      SpanSource chunks) {
    this.info = info;
    this.span = span;
    this.partial = partial;
    this.partsCount = partsCount;
    this.chunks = chunks;
  }

  public ObjectInfo info() {
    return info;
  }

  /** The bytes to send. */
  public ByteSpan span() {
    return span;
  }

  /** Whether the response is a part of the object (206 with Content-Range). */
  public boolean partial() {
    return partial;
  }

  /** The object's part count, when a part was asked for. */
  public @Nullable Integer partsCount() {
    return partsCount;
  }

  /** Sends the bytes, chunk by chunk, to {@code sink}. */
  public void transferTo(BodySink sink) throws IOException {
    chunks.send(span, sink);
  }
}
