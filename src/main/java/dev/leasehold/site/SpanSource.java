package dev.leasehold.site;

import java.io.IOException;

/** Where a read's bytes come from: the chunk cache, or an owner site's answer to a redirect. */
interface SpanSource {
  /** Sends the bytes of {@code span} to {@code sink}, in order. Called once. */
  void send(ByteSpan span, BodySink sink) throws IOException;
}
