package dev.kora.node.impl.socket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.internal.ContextInternal;

/**
 * The Vert.x internals the WebSocket endpoint relies on, in one place, so that a Vert.x upgrade that
 * changes them breaks here and in {@code VertxInternalsTest}, not somewhere in the endpoint:
 *
 * <ul>
 *   <li>{@link HttpServerConnection#channelHandlerContext()}: the Netty handler context of an HTTP/1
 *       connection, where {@link SocketEndpoint} answers the WebSocket handshake and replaces Vert.x's
 *       handler with Kora's (the pipeline layout Vert.x's own handshake relies on too), and where
 *       {@code HttpFront} adds its request head timeout and refuses connections over the cap;</li>
 *   <li>{@link ContextInternal#nettyEventLoop()}: the Netty event loop of the node's context, on which
 *       {@link SocketFlusher} schedules its flush turns (Vert.x 5's API for integrations).</li>
 * </ul>
 */
public final class VertxInternals {

  private VertxInternals() {
  }

  /**
   * @param request an HTTP request
   * @return whether it arrived on an HTTP/1 connection, whose channel the endpoint can take over
   */
  static boolean isHttp1(HttpServerRequest request) {
    return request.connection() instanceof HttpServerConnection;
  }

  /**
   * @param request a request for which {@link #isHttp1} is true
   * @return the Netty context of Vert.x's handler of the request's connection
   */
  static ChannelHandlerContext channelHandlerContext(HttpServerRequest request) {
    return ((HttpServerConnection) request.connection()).channelHandlerContext();
  }

  /**
   * @param connection a connection of the node's HTTP server, as its connection handler gets it
   * @return the Netty context of Vert.x's handler of an HTTP/1 connection (with the handlers
   *     {@code httpDecoder} and {@code httpEncoder} before it), or null for another kind
   */
  public static ChannelHandlerContext channelHandlerContext(HttpConnection connection) {
    return connection instanceof HttpServerConnection http ? http.channelHandlerContext() : null;
  }

  /**
   * @param context a Vert.x event-loop context
   * @return its Netty event loop
   */
  static EventLoop eventLoop(Context context) {
    return ((ContextInternal) context).nettyEventLoop();
  }
}
