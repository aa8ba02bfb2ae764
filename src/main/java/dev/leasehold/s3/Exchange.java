package dev.leasehold.s3;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One request and its response on a connection. The request side (headers, {@link #body()}) is read
 * by the request's virtual thread; the response is written by that thread through the channel
 * (Netty's writes are thread-safe), and when it is complete the connection's handler is told on its
 * event loop, so it can read the next request.
 *
 * <p>Confined to the request's virtual thread, but for {@link #body()}, which the event loop feeds.
 */
final class Exchange {
  /** How many file regions may be queued on the channel at once (each holds an open file). */
  private static final int WINDOW = 2;

  private final Channel channel;
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

  /** Set when the client sent {@code Expect: 100-continue}; cleared once 100 is sent. */
  private volatile boolean continuePending;

  Exchange(
      Channel channel,
      HttpRequest request,
      BodyStream body,
      String requestId,
      S3ChannelHandler handler) {
    this.channel = channel;
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

  /** Sends a whole response with a small body. */
  void respond(HttpResponseStatus status, HttpHeaders headers, byte[] content) throws IOException {
    DefaultFullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(content), headers, trailers());
    if (status.code() != 304) {
      HttpUtil.setContentLength(response, content.length);
    }
    prepare(response.headers());
    headersSent = true;
    this.status = status.code();
    this.bodyLength = content.length;
    await(channel.writeAndFlush(response));
    complete();
  }

  /** Sends the status and headers of a response whose body of {@code length} bytes follows. */
  void start(HttpResponseStatus status, HttpHeaders headers, long length) {
    DefaultHttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, headers);
    HttpUtil.setContentLength(response, length);
    prepare(response.headers());
    headersSent = true;
    this.status = status.code();
    this.bodyLength = length;
    track(channel.write(response));
  }

  /** Sends bytes of a file with {@code sendfile}; takes ownership of {@code file}. */
  void sendFile(FileChannel file, long position, long count) throws IOException {
    if (count == 0) {
      file.close();
      return;
    }
    while (inFlight.size() >= WINDOW) {
      await(inFlight.poll());
    }
    track(channel.writeAndFlush(new DefaultFileRegion(file, position, count)));
  }

  /** Ends the body started with {@link #start}. */
  void finish() throws IOException {
    ChannelFuture last = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    while (!inFlight.isEmpty()) {
      await(inFlight.poll());
    }
    await(last);
    complete();
  }

  /** Gives up on a response whose headers were sent: the client sees the connection close. */
  void abort() {
    finished = true;
    channel.close();
    handler.exchangeDone(this, false);
  }

  boolean finished() {
    return finished;
  }

  private void prepare(HttpHeaders headers) {
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
    return !forceClose && HttpUtil.isKeepAlive(request);
  }

  private void complete() {
    finished = true;
    handler.exchangeDone(this, keepAlive());
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

  private static void await(ChannelFuture future) throws IOException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    future.addListener(f -> {
      if (f.isSuccess()) {
        done.complete(null);
      } else {
        done.completeExceptionally(f.cause());
      }
    });
    await(done);
  }

  private static void await(CompletableFuture<Void> done) throws IOException {
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
