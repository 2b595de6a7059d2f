package dev.kora.node.socket;

import dev.kora.node.KoraNode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpServerConnection;
import java.util.Map;

/**
 * Serves the WebSocket endpoint {@code /socket} on the node's Vert.x HTTP server, with Netty's
 * WebSocket codec directly under Kora's {@link SocketConnection} instead of Vert.x's
 * {@code ServerWebSocket}.
 *
 * <p>Why: an idle Vert.x 5.0 WebSocket costs about 10.8 KB of heap — a thread-safe outbound queue of
 * 1,024 slots per connection, the upgrade request with its headers and the HTTP/1 connection objects,
 * all kept for the connection's life. Kora writes to a connection only on the node's event loop, so it
 * needs none of that. The upgrade request still arrives through Vert.x (one port for REST, SSE and
 * WebSockets); this class answers the handshake with Netty's {@link WebSocketServerHandshaker} (RFC
 * 6455), as Vert.x itself does, and then puts a {@link SocketChannelHandler} where Vert.x's handler
 * was, so nothing of Vert.x's HTTP connection stays referenced. About 2.5 KB remain per idle
 * connection (Netty's channel and pipeline, the frame decoder, the connection and its session).
 *
 * <p>Limits: frames and messages up to {@link SocketConnection#transportLimit} bytes are taken
 * (continuation frames are joined); a longer one closes the connection with status 1009. No
 * WebSocket extensions are negotiated (no per-message compression: its deflate state costs hundreds of
 * KB per connection).
 */
public final class SocketEndpoint {

  /** The endpoint's path. */
  public static final String PATH = "/socket";

  private SocketEndpoint() {
  }

  /**
   * @param request an HTTP request
   * @return whether it asks for a WebSocket on {@link #PATH} over HTTP/1.1
   */
  public static boolean isUpgrade(HttpServerRequest request) {
    return PATH.equals(request.path()) && request.canUpgradeToWebSocket()
        && request.connection() instanceof HttpServerConnection;
  }

  /**
   * Completes the WebSocket handshake of a request for which {@link #isUpgrade} is true and starts a
   * {@link SocketConnection} on it. Must run on the node's event loop, in the request handler.
   *
   * @param request the upgrade request
   * @param node the node
   * @param maxFrameBytes the node's message limit
   * @param maxBacklogBytes the most bytes waiting to be sent to one connection before it is closed
   * @param flusher the node's connection flusher
   */
  public static void accept(HttpServerRequest request, KoraNode node, int maxFrameBytes,
      long maxBacklogBytes, SocketFlusher flusher) {
    ChannelHandlerContext vertx =
        ((HttpServerConnection) request.connection()).channelHandlerContext();
    ChannelPipeline pipeline = vertx.pipeline();
    FullHttpRequest handshakeRequest = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
        HttpMethod.GET, request.uri());
    for (Map.Entry<String, String> header : request.headers()) {
      handshakeRequest.headers().add(header.getKey(), header.getValue());
    }
    int limit = SocketConnection.transportLimit(maxFrameBytes);
    String location = "ws://" + request.headers().get("Host") + PATH;
    WebSocketServerHandshaker handshaker =
        new WebSocketServerHandshakerFactory(location, null, false, limit)
            .newHandshaker(handshakeRequest);
    try {
      if (handshaker == null) {
        WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(vertx.channel());
        return;
      }
      handshaker.handshake(vertx.channel(), handshakeRequest);
    } finally {
      handshakeRequest.release();
    }
    SocketChannelHandler handler = new SocketChannelHandler(node, maxFrameBytes,
        maxBacklogBytes, flusher);
    pipeline.replace(vertx.handler(), SocketChannelHandler.NAME, handler);
    pipeline.addBefore(SocketChannelHandler.NAME, "kora-frame-aggregator",
        new WebSocketFrameAggregator(limit));
  }
}
