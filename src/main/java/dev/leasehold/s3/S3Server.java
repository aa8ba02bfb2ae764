package dev.leasehold.s3;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509KeyManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The S3 endpoint of a site: a Netty server (epoll where the platform has it) whose connections are
 * served by {@link S3ChannelHandler}, with each request on its own virtual thread.
 *
 * <p>Thread-safe: start once, close once.
 */
public final class S3Server implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(S3Server.class);

  /** The longest request line (method, URL, version) accepted; longer is {@code InvalidURI}. */
  static final int MAX_REQUEST_LINE = 16 * 1024;

  /**
   * The largest header section accepted; larger is {@code RequestHeaderSectionTooLarge}. S3 limits
   * a PUT's headers to 8 KB (User Guide, "Working with object metadata"); every request here.
   */
  static final int MAX_HEADER_SECTION = 8 * 1024;

  private final S3Service service;
  private final S3Settings settings;
  private final InetSocketAddress bind;
  private final ConnectionLimits limits;
  private final @Nullable SslContext ssl;
  private final ExecutorService requests =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("s3-", 0).factory());
  private @Nullable EventLoopGroup boss;
  private @Nullable EventLoopGroup workers;
  private @Nullable Channel channel;

  /** Every open client connection (Netty's group: channels leave it as they close). */
  private final io.netty.channel.group.ChannelGroup connections =
      new io.netty.channel.group.DefaultChannelGroup(
          io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);

  private volatile boolean draining;

  /** Requests taken and not yet done: from their start until their handler returns. */
  private final java.util.concurrent.atomic.AtomicInteger inFlight =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Runs each request on its own virtual thread, counted in {@link #inFlight} while it runs. */
  private final java.util.concurrent.Executor counted =
      task -> {
        inFlight.incrementAndGet();
        try {
          requests.execute(() -> {
            try {
              task.run();
            } finally {
              inFlight.decrementAndGet();
            }
          });
        } catch (java.util.concurrent.RejectedExecutionException e) {
          inFlight.decrementAndGet();
          throw e;
        }
      };

  public S3Server(S3Service service, S3Settings settings, InetSocketAddress bind) {
    this.service = service;
    this.settings = settings;
    this.bind = bind;
    this.limits =
        new ConnectionLimits(settings.maxConnections(), settings.maxConnectionsPerClient());
    X509KeyManager keys = settings.tls();
    try {
      this.ssl =
          keys == null
              ? null
              : SslContextBuilder.forServer(keys)
                  .sslProvider(SslProvider.JDK)
                  .protocols("TLSv1.3", "TLSv1.2")
                  .build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException("cannot serve HTTPS with the given certificate", e);
    }
  }

  /** Binds and starts serving; returns once the port is open. */
  public S3Server start() throws InterruptedException {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channelType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    boss = new MultiThreadIoEventLoopGroup(1, io);
    // One event loop per core, as nginx runs one worker per core: hits are answered on the loops
    // (S3ChannelHandler), and a loop more than the cores waits for one, behind the others' work.
    workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), io);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(channelType)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    connections.add(ch);
                    HeaderDeadline headers = new HeaderDeadline(settings.headerTimeout());
                    SslContext ssl = S3Server.this.ssl;
                    if (ssl != null) {
                      ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                    }
                    ch.pipeline()
                        .addLast(
                            new IdleStateHandler(
                                0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                        .addLast(headers.raw())
                        .addLast(
                            new HttpServerCodec(
                                new HttpDecoderConfig()
                                    .setMaxInitialLineLength(MAX_REQUEST_LINE)
                                    .setMaxHeaderSize(MAX_HEADER_SECTION)
                                    .setMaxChunkSize(64 * 1024)))
                        .addLast(limits.handler())
                        .addLast(headers.decoded())
                        .addLast(new S3ChannelHandler(service, counted, settings, () -> draining));
                  }
                });
    channel = bootstrap.bind(bind).sync().channel();
    LOG.info(
        "S3 endpoint listening on {} ({}{})",
        address(),
        epoll ? "epoll" : "nio",
        ssl == null ? "" : ", HTTPS");
    return this;
  }

  /** The address bound, with the actual port when 0 was asked for. */
  public InetSocketAddress address() {
    Channel c = channel;
    if (c == null) {
      throw new IllegalStateException("not started");
    }
    return (InetSocketAddress) c.localAddress();
  }

  /**
   * A graceful stop's first step: stops accepting connections, closes the idle ones, lets each
   * request in flight finish (its response says {@code Connection: close}), and returns once every
   * request has ended and every connection is closed, or {@code within} has passed. Then it closes
   * what is left and interrupts the requests still running. Whether everything ended in time: only
   * then has the site done all it will do under its leases.
   */
  public boolean drain(java.time.Duration within) throws InterruptedException {
    draining = true;
    Channel c = channel;
    if (c != null) {
      c.close().sync();
    }
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() - deadline < 0) {
      // Again each time: a connection accepted just before the listener closed joins late.
      for (Channel ch : connections) {
        S3ChannelHandler h = ch.pipeline().get(S3ChannelHandler.class);
        if (h != null) {
          ch.eventLoop().execute(h::closeIfIdle);
        }
      }
      if (connections.isEmpty() && inFlight.get() == 0) {
        return true;
      }
      Thread.sleep(20);
    }
    LOG.warn(
        "{} requests and {} connections still open after the drain time; closing them",
        inFlight.get(),
        connections.size());
    connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    requests.shutdownNow();
    requests.awaitTermination(5, TimeUnit.SECONDS);
    return false;
  }

  @Override
  public void close() {
    Channel c = channel;
    if (c != null) {
      c.close().syncUninterruptibly();
    }
    for (EventLoopGroup g : new EventLoopGroup[] {boss, workers}) {
      if (g != null) {
        g.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      }
    }
    requests.shutdownNow();
  }
}
