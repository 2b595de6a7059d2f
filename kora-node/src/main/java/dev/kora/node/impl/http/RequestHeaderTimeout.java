package dev.kora.node.impl.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/1 connection whose client does not send the head of a request (request line and
 * headers: for a WebSocket, the whole upgrade request) within a time: from the connection's accept,
 * and on a kept-alive connection from the end of the last response. Sits between Vert.x's HTTP codec
 * and its connection handler, so it sees decoded requests coming in and responses going out. The
 * clock stops when a request's head has arrived and runs again once every request read has its
 * final response; a request's body and the work to answer it are not timed here. A
 * {@code 101 Switching Protocols} response (a WebSocket) removes the handler: the connection is no
 * longer HTTP. The timeout closes the connection without a response, as it may not have a whole
 * request to answer. Confined to the connection's event loop.
 */
final class RequestHeaderTimeout extends ChannelDuplexHandler {

  /** Name of this handler in the channel pipeline. */
  static final String NAME = "kora-request-header-timeout";

  private static final System.Logger LOG = System.getLogger(RequestHeaderTimeout.class.getName());

  private final long timeoutMs;
  private ScheduledFuture<?> timer;
  /** Requests whose head was read and whose final response has not ended yet. */
  private int open;
  /** Whether the response being written is informational (1xx): its end is not the final one. */
  private boolean informational;

  /** @param timeoutMs ms the client has to send a request's head */
  RequestHeaderTimeout(long timeoutMs) {
    this.timeoutMs = timeoutMs;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext context) {
    if (context.channel().isActive()) {
      start(context);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext context) {
    start(context);
    context.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext context, Object message) {
    if (message instanceof HttpRequest) {
      open++;
      cancel();
    }
    context.fireChannelRead(message);
  }

  @Override
  public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) {
    if (message instanceof HttpResponse response) {
      if (response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
        context.pipeline().remove(this);
        context.write(message, promise);
        return;
      }
      informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }
    if (message instanceof LastHttpContent && !informational && open > 0) {
      open--;
      if (open == 0) {
        start(context);
      }
    }
    context.write(message, promise);
  }

  /** Also called for every handler when the channel is closed and its pipeline torn down. */
  @Override
  public void handlerRemoved(ChannelHandlerContext context) {
    cancel();
  }

  private void start(ChannelHandlerContext context) {
    if (timer == null && context.channel().isActive()) {
      timer = context.executor().schedule(() -> expired(context), timeoutMs,
          TimeUnit.MILLISECONDS);
    }
  }

  private void expired(ChannelHandlerContext context) {
    timer = null;
    LOG.log(System.Logger.Level.DEBUG, () -> "closing " + context.channel().remoteAddress()
        + ": no whole request head within requestHeaderTimeoutMs (" + timeoutMs + " ms)");
    context.close();
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
