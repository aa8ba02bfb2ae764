package dev.leasehold.s3;

import dev.leasehold.cache.HeldBytes;
import dev.leasehold.cache.HeldFile;
import dev.leasehold.error.WouldWait;
import dev.leasehold.site.BodySink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.opentelemetry.api.trace.Span;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * One request and its response on a connection. The request side (headers, {@link #body()}) is read
 * by the request's virtual thread; the response is handed by that thread to the channel's event
 * loop in as few tasks as it can (the headers with the first piece of the body, the last piece with
 * the end), and when its last write completes the connection's handler is told there, so it can
 * read the next request. The request's thread waits only for the window of file regions in flight.
 *
 * <p>Confined to the request's virtual thread, but for {@link #body()}, which the event loop feeds.
 */
final class Exchange implements BodySink {
  /**
   * When the request started and its span: made by its first attempt, kept when it is handed over
   * from the event loop to a thread of its own, so it is one request in the metrics and traces.
   */
  record Trace(long started, Span span) {}

  /** How many file regions may be queued on the channel at once (each holds an open file). */
  private static final int WINDOW = 2;

  /**
   * Bodies this long or longer are sent corked ({@code TCP_CORK}), in full segments, from their
   * second write on: the first write (the headers and the first piece of the body) leaves at once.
   * Corked from the start, the headers of a miss, whose first piece is what the origin has sent so
   * far, waited in the kernel until a full segment's worth of the body had come from the origin.
   */
  private static final long CORK_FROM = 256 * 1024;

  /**
   * A body this short that comes in one piece is copied into the response and leaves with its
   * headers in one write: a copy of it costs less than the second system call and the second TCP
   * segment that {@code sendfile} after the headers' write makes (at 4 KiB, those were a quarter of
   * the event loops' time).
   */
  private static final int COPY_UP_TO = 16 * 1024;

  private final Channel channel;

  /**
   * Whether the connection is TLS: then a file's bytes are read into buffers and encrypted (a file
   * region would bypass the TLS handler), {@link #TLS_PIECE} at a time.
   */
  private final boolean tls;

  /** How much of a file one buffer carries over TLS. */
  private static final int TLS_PIECE = 256 * 1024;

  private final HttpRequest request;
  private final BodyStream body;
  private final String requestId;
  private final S3ChannelHandler handler;
  private final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
  private boolean headersSent;
  private int status;
  private long bodyLength;
  private boolean finished;
  private boolean forceClose;

  /** Whether the body is to be sent corked once its headers have left ({@link #CORK_FROM}). */
  private boolean corkAfterHeaders;

  /** Whether the body is being sent corked; read by the last write's listener. */
  private volatile boolean corked;

  /** Messages of the response not yet handed to the channel. */
  private final ArrayList<Object> unsent = new ArrayList<>(3);

  /** Bytes of the body handed to {@link #sendFile} so far. */
  private long bodyQueued;

  /** Set when the client sent {@code Expect: 100-continue}; cleared once 100 is sent. */
  private volatile boolean continuePending;

  /** Headers every response to this request carries (CORS), or null. */
  private @Nullable HttpHeaders always;

  private @Nullable Trace trace;

  Exchange(
      Channel channel,
      HttpRequest request,
      BodyStream body,
      String requestId,
      S3ChannelHandler handler) {
    this.channel = channel;
    this.tls = channel.pipeline().get(SslHandler.class) != null;
    this.request = request;
    this.body = body;
    this.requestId = requestId;
    this.handler = handler;
  }

  /**
   * The client waits for {@code 100 Continue} before sending the body: send it when the body is
   * first read, so a request refused before that (bad signature, no such bucket) never makes the
   * client send its body.
   */
  void expectContinue() {
    continuePending = true;
    body.beforeFirstRead(this::sendContinue);
  }

  private void sendContinue() {
    if (continuePending && !headersSent) {
      continuePending = false;
      channel.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
  }

  /** Event loop, after the response: whether the client is still waiting to be told to send. */
  boolean continuePending() {
    return continuePending;
  }

  HttpRequest request() {
    return request;
  }

  BodyStream body() {
    return body;
  }

  String requestId() {
    return requestId;
  }

  boolean headersSent() {
    return headersSent;
  }

  /** The length of the response body sent (as declared), 0 if none was. */
  long bodyLength() {
    return bodyLength;
  }

  @Nullable Trace trace() {
    return trace;
  }

  void trace(Trace trace) {
    this.trace = trace;
  }

  /**
   * The attempt on the event loop stopped at a wait ({@link WouldWait}): forgets the response it
   * started, which has not left, so the request can be served again from the start.
   */
  void handOver() {
    if (headersSent) {
      throw new IllegalStateException("a response that left cannot be handed over");
    }
    discardUnsent();
    status = 0;
    bodyLength = 0;
    bodyQueued = 0;
    corkAfterHeaders = false;
    always = null;
  }

  /** Whether the request came over TLS. */
  boolean secure() {
    return tls;
  }

  /** The client's address, as the access log shows it. */
  String remoteHost() {
    java.net.SocketAddress a = channel.remoteAddress();
    if (a instanceof java.net.InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress();
    }
    return "-";
  }

  /** The status of the response sent, or 0 if none was. */
  int status() {
    return status;
  }

  /** The response will end the connection (after an error that leaves the stream unusable). */
  void closeAfterResponse() {
    forceClose = true;
  }

  /** Sends a whole response with a small body (in place of one started but not yet sent). */
  void respond(HttpResponseStatus status, HttpHeaders headers, byte[] content) {
    discardUnsent();
    DefaultFullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(content), headers, trailers());
    if (status.code() != 304) {
      HttpUtil.setContentLength(response, content.length);
    }
    prepare(response.headers());
    this.status = status.code();
    this.bodyLength = content.length;
    unsent.add(response);
    sendRest();
  }

  /**
   * Starts a response whose body of {@code length} bytes follows. The headers leave with the first
   * piece of the body (or the end, if it has none): until then an error can still replace them.
   */
  void start(HttpResponseStatus status, HttpHeaders headers, long length) {
    // Full segments only while the body goes out; the last partial one leaves on the uncork.
    corkAfterHeaders = length >= CORK_FROM && channel instanceof EpollSocketChannel;
    DefaultHttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers);
    HttpUtil.setContentLength(response, length);
    prepare(response.headers());
    this.status = status.code();
    this.bodyLength = length;
    this.bodyQueued = 0;
    unsent.add(response);
  }

  @Override
  public void send(FileChannel file, long position, long count) throws IOException {
    sendFile(file, position, count);
  }

  /** As {@link #sendFile}, from a file the cache keeps open: the hold is given back once sent. */
  @Override
  public void send(HeldFile file, long position, long count) throws IOException {
    sendFrom(file.channel(), file::release, position, count);
  }

  /**
   * Sends bytes the memory tier lent, and gives them back once written: the piece that completes
   * the body ends the response with it, as {@link #sendFile} does.
   */
  @Override
  public boolean send(HeldBytes held) throws IOException {
    int count = held.length();
    if (count == 0) {
      held.release();
      return true;
    }
    try {
      while (inFlight.size() >= WINDOW) {
        await(inFlight.poll());
      }
    } catch (IOException | RuntimeException e) {
      held.release();
      throw e;
    }
    ByteBuf bytes = held.take();
    bodyQueued += count;
    if (bodyQueued >= bodyLength) {
      unsent.add(new DefaultLastHttpContent(bytes));
      sendRest();
    } else {
      unsent.add(new DefaultHttpContent(bytes));
      track(flush());
    }
    return true;
  }

  /**
   * Sends bytes of a file with {@code sendfile}; takes ownership of {@code file}. The piece that
   * completes the body ends the response with it, so a small object is one hand-over to the event
   * loop: headers, file region and end together. A whole body of at most {@link #COPY_UP_TO} bytes
   * is copied instead, and leaves in the headers' write.
   */
  void sendFile(FileChannel file, long position, long count) throws IOException {
    sendFrom(file, file, position, count);
  }

  /**
   * Sends bytes of {@code file}, and closes {@code done} once they are written, or when it fails:
   * the file itself, or a hold on a file the cache keeps open.
   */
  private void sendFrom(FileChannel file, Closeable done, long position, long count)
      throws IOException {
    boolean handed = false;
    try {
      if (count == 0) {
        return;
      }
      while (inFlight.size() >= WINDOW) {
        await(inFlight.poll());
      }
      if (count <= COPY_UP_TO && bodyQueued == 0 && count == bodyLength) {
        unsent.add(new DefaultLastHttpContent(read(file, position, (int) count)));
        bodyQueued = count;
        sendRest();
        return;
      }
      if (tls) {
        if (WouldWait.refused() && count > WINDOW * (long) TLS_PIECE) {
          throw WouldWait.now(); // its pieces would wait for one another's writes
        }
        sendCopies(file, position, count);
        return;
      }
      unsent.add(new Region(file, done, position, count));
      handed = true; // the region closes it once written
      bodyQueued += count;
      if (bodyQueued >= bodyLength) {
        end();
      } else {
        track(flush());
      }
    } finally {
      if (!handed) {
        done.close();
      }
    }
  }

  /** A file region whose file is closed, or whose hold is given back, once it is written. */
  private static final class Region extends DefaultFileRegion {
    private final Closeable done;

    Region(FileChannel file, Closeable done, long position, long count) {
      super(file, position, count);
      this.done = done;
    }

    @Override
    protected void deallocate() {
      try {
        done.close();
      } catch (IOException e) {
        // a read-only file: nothing to lose
      }
    }
  }

  /**
   * Over TLS: the bytes in buffers of {@link #TLS_PIECE}, at most {@link #WINDOW} queued. The file
   * is the caller's to close.
   */
  private void sendCopies(FileChannel file, long position, long count) throws IOException {
    long done = 0;
    while (done < count) {
      while (inFlight.size() >= WINDOW) {
        await(inFlight.poll());
      }
      int n = (int) Math.min(TLS_PIECE, count - done);
      unsent.add(new DefaultHttpContent(read(file, position + done, n)));
      done += n;
      bodyQueued += n;
      if (bodyQueued >= bodyLength) {
        end();
      } else {
        track(flush());
      }
    }
  }

  /** {@code count} bytes of {@code file} from {@code position}, in a buffer. */
  private ByteBuf read(FileChannel file, long position, int count) throws IOException {
    ByteBuf buf = channel.alloc().directBuffer(count);
    try {
      int done = 0;
      while (done < count) {
        int n = buf.writeBytes(file, position + done, count - done);
        if (n < 0) {
          throw new IOException("the file ended " + (count - done) + " bytes short");
        }
        done += n;
      }
      return buf;
    } catch (IOException | RuntimeException e) {
      buf.release();
      throw e;
    }
  }

  /** Ends the body started with {@link #start}, unless its last piece ended it. */
  void finish() {
    if (!finished) {
      end();
    }
  }

  /**
   * Hands the rest of the response to the channel; when it is written, the connection's handler is
   * told (on the event loop), so nothing waits for the client to take the last bytes.
   */
  private void end() {
    unsent.add(LastHttpContent.EMPTY_LAST_CONTENT);
    sendRest();
  }

  private void sendRest() {
    finished = true;
    boolean keepAlive = keepAlive();
    inFlight.clear(); // written in order: the last write's completion covers them
    flush()
        .addListener(f -> {
          if (corked && channel instanceof EpollSocketChannel epoll && channel.isOpen()) {
            epoll.config().setTcpCork(false);
          }
          if (!f.isSuccess()) {
            channel.close();
          }
          handler.exchangeDone(this, keepAlive && f.isSuccess());
        });
  }

  /** Writes what is unsent in one task on the event loop; the future is the last write's. */
  private ChannelFuture flush() {
    Object[] messages = unsent.toArray();
    unsent.clear();
    headersSent = true;
    // After the headers' write, unless it ends the response: the last write's listener uncorks,
    // and it may run within this write, before a cork set after it.
    boolean cork = corkAfterHeaders && !finished;
    corkAfterHeaders = false;
    if (cork) {
      corked = true;
    }
    ChannelPromise promise = channel.newPromise();
    Runnable write =
        () -> {
          for (int i = 0; i < messages.length - 1; i++) {
            channel.write(messages[i], channel.voidPromise());
          }
          channel.writeAndFlush(messages[messages.length - 1], promise);
          if (cork && channel.isOpen()) {
            ((EpollSocketChannel) channel).config().setTcpCork(true);
          }
        };
    if (channel.eventLoop().inEventLoop()) {
      write.run();
    } else {
      try {
        channel.eventLoop().execute(write);
      } catch (RejectedExecutionException shuttingDown) {
        for (Object m : messages) {
          ReferenceCountUtil.release(m);
        }
        // Its listeners run here: the event loop that would run them is gone.
        ChannelPromise failed = new DefaultChannelPromise(channel, ImmediateEventExecutor.INSTANCE);
        failed.setFailure(shuttingDown);
        return failed;
      }
    }
    return promise;
  }

  /** Drops a started response that has not left (an error replaces it). */
  private void discardUnsent() {
    for (Object m : unsent) {
      ReferenceCountUtil.release(m);
    }
    unsent.clear();
  }

  /** Gives up on a response whose headers were sent: the client sees the connection close. */
  void abort() {
    discardUnsent();
    finished = true;
    channel.close();
    handler.exchangeDone(this, false);
  }

  boolean finished() {
    return finished;
  }

  /** Adds {@code headers} to whichever response this request gets, an error included. */
  void alwaysAdd(HttpHeaders headers) {
    always = headers;
  }

  private void prepare(HttpHeaders headers) {
    if (always != null) {
      headers.add(always);
    }
    headers.set("x-amz-request-id", requestId);
    headers.set("x-amz-id-2", requestId);
    headers.set(HttpHeaderNames.SERVER, "Leasehold");
    headers.set(HttpHeaderNames.DATE, HttpDates.now());
    if (!keepAlive()) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
  }

  /** Whether the connection can serve another request after this one. */
  private boolean keepAlive() {
    return !forceClose && !handler.draining() && HttpUtil.isKeepAlive(request);
  }

  private void track(ChannelFuture future) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    future.addListener(f -> {
      if (f.isSuccess()) {
        done.complete(null);
      } else {
        done.completeExceptionally(f.cause());
      }
    });
    inFlight.add(done);
  }

  private static void await(CompletableFuture<Void> done) throws IOException {
    if (WouldWait.refused()) {
      // On the event loop, the writes it would wait for are that loop's to make: never.
      throw new IllegalStateException("a response on the event loop waited for its own writes");
    }
    try {
      done.get(); // parks the virtual thread; a Netty future's await would pin it on JDK 21
    } catch (ExecutionException e) {
      throw new IOException("the client connection failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while writing the response", e);
    }
  }

  private static HttpHeaders trailers() {
    return io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE;
  }
}
