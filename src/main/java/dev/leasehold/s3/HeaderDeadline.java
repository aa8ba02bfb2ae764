package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request's headers must arrive within {@code header-timeout} of their first byte: a client that
 * sends a header a byte at a time would otherwise hold its connection forever (the idle timeout
 * never fires while bytes trickle in). {@link #raw} sits before the HTTP decoder and starts the
 * clock at the first byte of a request; {@link #decoded} sits after it and stops the clock when the
 * request's head is decoded. At the deadline the client is answered {@code RequestTimeout} and the
 * connection closed.
 *
 * <p>One per connection; both handlers run on the connection's event loop, which alone touches the
 * state.
 */
final class HeaderDeadline {
  private static final Logger LOG = LoggerFactory.getLogger(HeaderDeadline.class);

  private final long timeoutNanos;
  private boolean inRequest;
  private @Nullable ScheduledFuture<?> deadline;

  HeaderDeadline(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  /** Before the decoder: the first byte of a request's head starts the clock. */
  ChannelInboundHandlerAdapter raw() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!inRequest && deadline == null && msg instanceof ByteBuf b && b.isReadable()) {
          deadline = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
      }
    };
  }

  /** After the decoder: a decoded head stops the clock; the end of its body readies the next. */
  ChannelInboundHandlerAdapter decoded() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
          inRequest = true;
          stop();
        }
        if (msg instanceof LastHttpContent) {
          inRequest = false;
        }
        ctx.fireChannelRead(msg);
      }
    };
  }

  private void stop() {
    ScheduledFuture<?> d = deadline;
    if (d != null) {
      d.cancel(false);
      deadline = null;
    }
  }

  private void expire(ChannelHandlerContext ctx) {
    deadline = null;
    if (inRequest || !ctx.channel().isActive()) {
      return;
    }
    LOG.debug(
        "closing {}: its request's headers took longer than {} ms",
        ctx.channel().remoteAddress(),
        TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
    ErrorResponses.sendAndClose(
        ctx.channel(), S3Error.REQUEST_TIMEOUT.exception(), RequestIds.next());
  }
}
