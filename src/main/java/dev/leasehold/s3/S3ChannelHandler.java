package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: hands each request to a virtual thread and feeds it the body on demand.
 * Requests are served one at a time; the channel reads only when a request's body is wanted or a
 * response is done (auto-read is off), so a connection holds at most one socket read of data.
 *
 * <p>A GET or HEAD without a body is first tried here, on the event loop, once its end has arrived
 * ({@link S3Service#serveHere}; docs/design.md, Hits on the event loop): a hit is answered with no
 * hand-over to another thread and back. One that would wait goes to a virtual thread as any other.
 *
 * <p>After a response that did not read the whole body (an early error), the rest of the body is
 * read and discarded, within limits, before the next request, so the client sees the response
 * rather than a reset connection.
 *
 * <p>Confined to the channel's event loop, except {@link #exchangeDone}, which hops onto it.
 */
final class S3ChannelHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(S3ChannelHandler.class);

  /** The most body bytes discarded after an early response before the connection is closed. */
  private static final long DISCARD_LIMIT = 16L * 1024 * 1024;

  private final S3Service service;
  private final Executor executor;
  private final S3Settings settings;
  private final java.util.function.BooleanSupplier draining;
  private @Nullable ChannelHandlerContext ctx;
  private @Nullable Exchange current;

  /** Whether the current request's body has fully arrived (later messages are the next request). */
  private boolean currentBodyDone;

  private final ArrayDeque<Object> pending = new ArrayDeque<>();

  /** The exchange whose unread body is being discarded, or null. */
  private @Nullable Exchange discarding;

  private long discarded;
  private boolean inputShutdown;

  /** The request to be tried on the event loop once its end arrives, or null. */
  private @Nullable Exchange deferred;

  /** Whether a request is being served on the event loop now (within {@link #serveHere}). */
  private boolean servingHere;

  /** A response that completed while it was served here: handled once that call returns. */
  private @Nullable Exchange doneHere;

  private boolean doneHereKeepAlive;

  /** Whether {@link #drainPending} runs now: a nested call leaves the work to it. */
  private boolean drainingPending;

  /**
   * @param draining whether the server is stopping: each response then closes its connection, and
   *     an idle connection is closed when {@link #closeIfIdle} is called
   */
  S3ChannelHandler(
      S3Service service,
      Executor executor,
      S3Settings settings,
      java.util.function.BooleanSupplier draining) {
    this.service = service;
    this.executor = executor;
    this.settings = settings;
    this.draining = draining;
  }

  /** Whether the server is stopping (any thread). */
  boolean draining() {
    return draining.getAsBoolean();
  }

  /**
   * On the event loop, while the server drains: closes the connection if no request is being served
   * on it (one that is closes after its response).
   */
  void closeIfIdle() {
    ChannelHandlerContext c = ctx;
    if (c != null && current == null && pending.isEmpty()) {
      c.close();
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.read();
  }

  /** Asks the channel for more data, unless the client has finished sending. */
  private void readMore(ChannelHandlerContext ctx) {
    if (!inputShutdown && ctx.channel().isActive()) {
      ctx.read();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (discarding != null) {
      discard(ctx, msg);
      return;
    }
    if (awaitingResponse()) {
      pending.add(msg); // pipelined: the next request waits for this one's response
      return;
    }
    if (msg instanceof HttpRequest request) {
      start(ctx, request);
    }
    if (msg instanceof HttpContent content) {
      Exchange exchange = current;
      if (exchange == null) {
        content.release();
        return;
      }
      if (content.decoderResult().isFailure()) {
        content.release();
        exchange.body().fail(S3Error.INCOMPLETE_BODY.exception("The request body is malformed."));
        currentBodyDone = true;
        if (deferred == exchange) {
          dispatch(exchange); // answered where a body's failure is
        }
        return;
      }
      exchange.body().offer(content.content());
      if (content instanceof LastHttpContent) {
        exchange.body().end();
        currentBodyDone = true;
        if (deferred == exchange) {
          serveHere(ctx, exchange);
        }
      } else if (deferred == exchange) {
        dispatch(exchange); // a body after all: served where bodies are read
      }
    } else if (!(msg instanceof HttpRequest)) {
      ReferenceCountUtil.release(msg);
    }
  }

  private void start(ChannelHandlerContext ctx, HttpRequest request) {
    String requestId = RequestIds.next();
    if (request.decoderResult().isFailure()) {
      Throwable cause = request.decoderResult().cause();
      S3Error error =
          cause instanceof TooLongHttpHeaderException
              ? S3Error.REQUEST_HEADER_SECTION_TOO_LARGE
              : cause instanceof TooLongHttpLineException || cause instanceof TooLongFrameException
                  ? S3Error.INVALID_URI
                  : S3Error.INVALID_REQUEST;
      // The stream cannot be trusted past a bad request: answer and close.
      ErrorResponses.sendAndClose(ctx.channel(), error.exception(), requestId);
      return;
    }
    boolean expectsContinue =
        request.headers().containsValue(HttpHeaderNames.EXPECT, HttpHeaderValues.CONTINUE, true);
    BodyStream body =
        new BodyStream(
            () -> ctx.channel().eventLoop().execute(() -> readMore(ctx)), settings.bodyTimeout());
    Exchange exchange = new Exchange(ctx.channel(), request, body, requestId, this);
    if (expectsContinue) {
      exchange.expectContinue();
    }
    current = exchange;
    currentBodyDone = false;
    if (!expectsContinue && withoutBody(request)) {
      deferred = exchange; // tried here once its end (next, from the decoder) arrives
    } else {
      dispatch(exchange);
    }
  }

  /** A GET or HEAD that says it sends no body: one that may be served on the event loop. */
  private static boolean withoutBody(HttpRequest request) {
    io.netty.handler.codec.http.HttpMethod method = request.method();
    if (method != io.netty.handler.codec.http.HttpMethod.GET
        && method != io.netty.handler.codec.http.HttpMethod.HEAD) {
      return false;
    }
    String length = request.headers().get(HttpHeaderNames.CONTENT_LENGTH);
    return !HttpUtil.isTransferEncodingChunked(request) && (length == null || length.equals("0"));
  }

  /** Serves the request on a virtual thread of its own. */
  private void dispatch(Exchange exchange) {
    deferred = null;
    executor.execute(() -> service.serve(exchange));
  }

  /**
   * Serves the request here, on the event loop, if it can be without waiting; else dispatches it. A
   * response that completed within the call is handled after it, not inside it.
   */
  private void serveHere(ChannelHandlerContext ctx, Exchange exchange) {
    deferred = null;
    boolean served;
    servingHere = true;
    try {
      served = service.serveHere(exchange);
    } finally {
      servingHere = false;
    }
    if (!served) {
      dispatch(exchange);
      return;
    }
    Exchange done = doneHere;
    if (done != null) {
      doneHere = null;
      afterResponse(ctx, done, doneHereKeepAlive);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    Exchange exchange = current;
    if (discarding != null || exchange == null || deferred != null || exchange.body().hungry()) {
      readMore(ctx);
    }
  }

  /** Any thread: the exchange's response is complete (or was aborted). */
  void exchangeDone(Exchange exchange, boolean keepAlive) {
    ChannelHandlerContext c = ctx;
    if (c == null) {
      return;
    }
    if (c.channel().eventLoop().inEventLoop()) {
      if (servingHere) {
        doneHere = exchange; // written at once, within serveHere: handled when it returns
        doneHereKeepAlive = keepAlive;
        return;
      }
      afterResponse(c, exchange, keepAlive); // from the listener of the response's last write
      return;
    }
    try {
      c.channel().eventLoop().execute(() -> afterResponse(c, exchange, keepAlive));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // The server is shutting down: its event loops are gone, and the connection with them.
    }
  }

  private void afterResponse(ChannelHandlerContext ctx, Exchange exchange, boolean keepAlive) {
    if (current != exchange) {
      return;
    }
    current = null;
    boolean bodyDone = currentBodyDone && exchange.body().complete();
    exchange.body().close();
    if (!keepAlive || inputShutdown || draining() || !ctx.channel().isActive()) {
      ctx.close();
      return;
    }
    if (!bodyDone) {
      if (exchange.continuePending()) {
        ctx.close(); // the client was told nothing to send; it will not send the body
        return;
      }
      discarding = exchange;
      discarded = 0;
      ctx.executor().schedule(() -> stopDiscarding(exchange), 5, TimeUnit.SECONDS);
    }
    drainPending(ctx);
  }

  /**
   * Feeds messages that arrived while a response was pending to whoever wants them now (the rest of
   * a discarded body, the next request and its body), then reads on if nobody is waiting for a
   * response.
   */
  private void drainPending(ChannelHandlerContext ctx) {
    if (drainingPending) {
      return; // a request served here from the loop below ended: the loop goes on with the next
    }
    drainingPending = true;
    try {
      // A request served here may have closed the connection (its response said so).
      while (!pending.isEmpty() && !awaitingResponse() && ctx.channel().isOpen()) {
        channelRead(ctx, pending.poll());
      }
    } finally {
      drainingPending = false;
    }
    if (pending.isEmpty() && !awaitingResponse()) {
      readMore(ctx);
    }
  }

  /** Whether the current request has all its body and the connection waits for its response. */
  private boolean awaitingResponse() {
    return current != null && currentBodyDone && discarding == null;
  }

  private void discard(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpContent content) {
      discarded += content.content().readableBytes();
      boolean last = content instanceof LastHttpContent;
      content.release();
      if (last) {
        discarding = null;
      } else if (discarded > DISCARD_LIMIT) {
        ctx.close();
      }
    } else {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  private void stopDiscarding(Exchange exchange) {
    ChannelHandlerContext c = ctx;
    if (discarding == exchange && c != null) {
      c.close();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      inputShutdown = true;
      Exchange exchange = current;
      if (exchange != null && !currentBodyDone) {
        exchange.body().fail(S3Error.INCOMPLETE_BODY.exception());
      } else if (exchange == null) {
        ctx.close();
      }
    } else if (evt instanceof IdleStateEvent) {
      if (current == null) {
        ctx.close(); // an idle keep-alive connection
      }
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Exchange exchange = current;
    if (exchange != null) {
      exchange.body().fail(S3Error.INCOMPLETE_BODY.exception());
    }
    while (!pending.isEmpty()) {
      ReferenceCountUtil.release(pending.poll());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
