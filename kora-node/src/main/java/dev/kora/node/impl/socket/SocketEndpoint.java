package dev.kora.node.impl.socket;

import dev.kora.node.core.NodeCore;
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
import java.util.Map;

/**
 * Serves the WebSocket endpoint {@code /socket} on the node's Vert.x HTTP server, with Netty's
 * WebSocket codec directly under Kora's {@link SocketConnection} instead of Vert.x's
 * {@code ServerWebSocket}.
 *
 * <p>Why: an idle Vert.x 5.0 WebSocket keeps a thread-safe outbound queue of 1,024 slots, the upgrade
 * request with its headers and the HTTP/1 connection objects for the connection's life (the heap per
 * connection of both is in docs/benchmarks.md, "connections"). Kora writes to a connection only on the node's event loop, so it
 * needs none of that. The upgrade request still arrives through Vert.x (one port for REST, SSE and
 * WebSockets); this class answers the handshake with Netty's {@link WebSocketServerHandshaker} (RFC
 * 6455), as Vert.x itself does, and then puts a {@link SocketChannelHandler} where Vert.x's handler
 * was, so nothing of Vert.x's HTTP connection stays referenced: what remains per idle connection is
 * Netty's channel and pipeline, the frame decoder, the connection and its session.
 *
 * <p>Limits: frames and messages up to {@link SocketConnection#transportLimit} bytes are taken
 * (continuation frames are joined); a longer one closes the connection with status 1009. No
 * WebSocket extensions are negotiated (no per-message compression: its deflate state costs hundreds of
 * KB per connection).
 */
public final class SocketEndpoint {

  /** The endpoint's path. */
  public static final String PATH = "/socket";

  private final NodeCore node;
  private final int maxFrameBytes;
  private final long maxBacklogBytes;
  private final SocketFlusher flusher;
  private final PushFrameCache pushFrames;

  /**
   * The endpoint of one node; its connections share its settings, flusher and encoded pushes.
   *
   * @param node the node
   * @param maxFrameBytes the node's message limit, in bytes
   * @param maxBacklogBytes the most bytes waiting to be sent to one connection before it is closed
   */
  public SocketEndpoint(NodeCore node, int maxFrameBytes, long maxBacklogBytes) {
    this.node = node;
    this.maxFrameBytes = maxFrameBytes;
    this.maxBacklogBytes = maxBacklogBytes;
    this.flusher = new SocketFlusher(node.context());
    this.pushFrames = new PushFrameCache(VertxInternals.eventLoop(node.context()),
        SocketConnection.transportLimit(maxFrameBytes));
  }

  NodeCore node() {
    return node;
  }

  int maxFrameBytes() {
    return maxFrameBytes;
  }

  long maxBacklogBytes() {
    return maxBacklogBytes;
  }

  SocketFlusher flusher() {
    return flusher;
  }

  PushFrameCache pushFrames() {
    return pushFrames;
  }

  /**
   * @param request an HTTP request
   * @return whether it asks for a WebSocket on {@link #PATH} over HTTP/1.1
   */
  public static boolean isUpgrade(HttpServerRequest request) {
    return PATH.equals(request.path()) && request.canUpgradeToWebSocket()
        && VertxInternals.isHttp1(request);
  }

  /**
   * Completes the WebSocket handshake of a request for which {@link #isUpgrade} is true and starts a
   * {@link SocketConnection} on it. Must run on the node's event loop, in the request handler.
   *
   * @param request the upgrade request
   */
  public void accept(HttpServerRequest request) {
    ChannelHandlerContext vertx = VertxInternals.channelHandlerContext(request);
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
    SocketChannelHandler handler = new SocketChannelHandler(this);
    pipeline.replace(vertx.handler(), SocketChannelHandler.NAME, handler);
    pipeline.addBefore(SocketChannelHandler.NAME, "kora-frame-aggregator",
        new WebSocketFrameAggregator(limit));
  }
}
