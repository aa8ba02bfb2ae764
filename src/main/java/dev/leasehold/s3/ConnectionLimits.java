package dev.leasehold.s3;

import dev.leasehold.error.S3Error;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many client connections the S3 endpoint holds: at most {@code max} in all and {@code
 * perClient} from one address. A connection beyond either is answered 503 {@code SlowDown} and
 * closed before anything of it is read.
 *
 * <p>Thread-safe: one per server, shared by every connection's {@link #handler}; the counts are
 * atomic, and an address's entry goes when its last connection closes.
 */
final class ConnectionLimits {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);

  private final int max;
  private final int perClient;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> byClient = new ConcurrentHashMap<>();

  ConnectionLimits(int max, int perClient) {
    this.max = max;
    this.perClient = perClient;
  }

  /** The handler for one connection (after the HTTP codec, so it can answer in HTTP). */
  ChannelInboundHandlerAdapter handler() {
    return new ChannelInboundHandlerAdapter() {
      private @Nullable InetAddress counted;
      private boolean countedTotal;

      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        InetAddress client = address(ctx.channel().remoteAddress());
        if (open.incrementAndGet() > max) {
          open.decrementAndGet();
          refuse(ctx, "the endpoint holds " + max + " connections");
          return;
        }
        countedTotal = true;
        if (client != null) {
          int[] now = new int[1];
          byClient.compute(client, (a, n) -> now[0] = (n == null ? 0 : n) + 1);
          if (now[0] > perClient) {
            release(client);
            refuse(ctx, client.getHostAddress() + " holds " + perClient + " connections");
            return;
          }
          counted = client;
        }
        ctx.fireChannelActive();
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        if (countedTotal) {
          countedTotal = false;
          open.decrementAndGet();
        }
        InetAddress c = counted;
        if (c != null) {
          counted = null;
          release(c);
        }
        ctx.fireChannelInactive();
      }

      private void refuse(ChannelHandlerContext ctx, String why) {
        if (countedTotal) {
          countedTotal = false;
          open.decrementAndGet();
        }
        LOG.warn("refused a connection from {}: {}", ctx.channel().remoteAddress(), why);
        ErrorResponses.sendAndClose(
            ctx.channel(), S3Error.SLOW_DOWN.exception(), RequestIds.next());
      }
    };
  }

  private void release(InetAddress client) {
    byClient.computeIfPresent(client, (a, n) -> n <= 1 ? null : n - 1);
  }

  private static @Nullable InetAddress address(SocketAddress a) {
    return a instanceof InetSocketAddress i ? i.getAddress() : null;
  }
}
