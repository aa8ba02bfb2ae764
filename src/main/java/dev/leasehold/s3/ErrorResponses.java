package dev.leasehold.s3;

import dev.leasehold.error.S3Exception;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Map;

/**
 * Renders an {@link S3Exception} as S3 does: its status, and an {@code <Error>} document with the
 * code, the message, the error's extra elements, the resource and the request id. The one place
 * errors become bytes. Stateless; thread-safe.
 */
final class ErrorResponses {
  private ErrorResponses() {}

  static byte[] body(S3Exception e, String resource, String requestId) {
    Xml xml = new Xml().open("Error");
    xml.element("Code", e.error().code()).element("Message", e.getMessage());
    for (Map.Entry<String, String> detail : e.details().entrySet()) {
      xml.element(detail.getKey(), detail.getValue());
    }
    xml.element("Resource", resource).element("RequestId", requestId).element("HostId", requestId);
    return xml.close("Error").bytes();
  }

  static HttpHeaders headers() {
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/xml");
    return headers;
  }

  /** For requests that could not be parsed: answers on the event loop and closes. */
  static void sendAndClose(Channel channel, S3Exception e, String requestId) {
    byte[] body = body(e, "/", requestId);
    DefaultFullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(e.error().status()),
            Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/xml");
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    response.headers().set("x-amz-request-id", requestId);
    response.headers().set(HttpHeaderNames.DATE, HttpDates.now());
    channel.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
