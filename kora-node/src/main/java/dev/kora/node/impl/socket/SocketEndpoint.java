package dev.kora.node.impl.socket;

import dev.kora.interceptors.Identity;
import dev.kora.node.core.NodeCore;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

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
 * (continuation frames are joined); a longer one closes the connection with status 1009. Text must be
 * UTF-8 (Netty's {@link Utf8FrameValidator}; else status 1007), a fragmented message must be finished
 * within {@link Limits#fragmentedMessageTimeoutMs} ({@link FragmentTimeout}; else 1008), and a
 * connection without subscriptions that sends nothing for {@link Limits#idleTimeoutMs} is closed
 * (1001). Every close the node decides on sends a close frame with its status first
 * ({@link SocketConnection#close}): Netty's decoder is told not to send its own, which would pass
 * below the frame encoder unencoded and never leave. No WebSocket extensions are negotiated (no
 * per-message compression: its deflate state costs hundreds of KB per connection).
 *
 * <p>Backpressure: each connection's channel has write buffer water marks ({@link
 * #readPauseBytes}); while more than the high mark waits to be sent, the channel is not writable and
 * the connection's handler stops reading from it ({@code autoRead} off), so a client that sends
 * requests or pings without reading the answers stops being read instead of making the node buffer
 * them; past {@link Limits#maxBacklogBytes} the connection is closed.
 */
public final class SocketEndpoint {

  /** The endpoint's path. */
  public static final String PATH = "/socket";
  /** Name of the frame aggregator in a connection's pipeline (it holds a message's fragments). */
  static final String AGGREGATOR = "kora-frame-aggregator";

  private final NodeCore node;
  /** The open connections, for the backlog gauge; confined to the node's context. */
  private final Set<SocketConnection> open = new HashSet<>();
  private final Limits limits;
  private final SocketFlusher flusher;
  private final PushFrameCache pushFrames;

  /**
   * The limits of the endpoint's connections.
   *
   * @param maxFrameBytes the node's message limit, in bytes
   * @param maxBacklogBytes the most bytes waiting to be sent to one connection before it is closed
   * @param idleTimeoutMs ms a connection without subscriptions may send nothing before it is
   *     closed; 0 for no limit
   * @param fragmentedMessageTimeoutMs ms a client has to finish a message it began in fragments
   */
  public record Limits(int maxFrameBytes, long maxBacklogBytes, long idleTimeoutMs,
      long fragmentedMessageTimeoutMs) {
  }

  /**
   * The endpoint of one node; its connections share its settings, flusher and encoded pushes.
   *
   * @param node the node
   * @param limits the limits of its connections
   */
  public SocketEndpoint(NodeCore node, Limits limits) {
    this.node = node;
    this.limits = limits;
    this.flusher = new SocketFlusher(node.context());
    this.pushFrames = new PushFrameCache(VertxInternals.eventLoop(node.context()),
        SocketConnection.transportLimit(limits.maxFrameBytes()));
    node.metrics().gauge("kora.backlog.bytes", "Bytes waiting in the node to be sent to"
        + " WebSocket connections", this::backlogBytes);
  }

  /** @param connection a connection that opened: counted in the backlog gauge */
  void opened(SocketConnection connection) {
    open.add(connection);
  }

  /** @param connection a connection that closed */
  void closed(SocketConnection connection) {
    open.remove(connection);
  }

  /** @return the bytes waiting to be sent to all open connections; read on the node's loop */
  private long backlogBytes() {
    long bytes = 0;
    for (SocketConnection connection : open) {
      bytes += connection.backlogBytes();
    }
    return bytes;
  }

  /**
   * @param maxBacklogBytes the connection's backlog limit
   * @return the high write buffer water mark of a connection: the bytes waiting to be sent above
   *     which the node stops reading from it, the smaller of 1 MiB and half the backlog limit (the low
   *     mark, where it reads again, is half of it)
   */
  static int readPauseBytes(long maxBacklogBytes) {
    return (int) Math.min(1024 * 1024, maxBacklogBytes / 2);
  }

  NodeCore node() {
    return node;
  }

  int maxFrameBytes() {
    return limits.maxFrameBytes();
  }

  long maxBacklogBytes() {
    return limits.maxBacklogBytes();
  }

  long idleTimeoutMs() {
    return limits.idleTimeoutMs();
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
   * @param identity the identity of the token the request gave, or null for an anonymous client
   */
  public void accept(HttpServerRequest request, Identity identity) {
    ChannelHandlerContext vertx = VertxInternals.channelHandlerContext(request);
    ChannelPipeline pipeline = vertx.pipeline();
    FullHttpRequest handshakeRequest = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
        HttpMethod.GET, request.uri());
    for (Map.Entry<String, String> header : request.headers()) {
      handshakeRequest.headers().add(header.getKey(), header.getValue());
    }
    int limit = SocketConnection.transportLimit(limits.maxFrameBytes());
    String location = "ws://" + request.headers().get("Host") + PATH;
    // The decoder must not send close frames itself: it sits below the frame encoder (where Vert.x's
    // HTTP decoder was), so its frame would reach the socket unencoded and never leave. It throws,
    // and SocketChannelHandler closes with the exception's status.
    WebSocketDecoderConfig decoder = WebSocketDecoderConfig.newBuilder()
        .maxFramePayloadLength(limit).allowExtensions(false).closeOnProtocolViolation(false)
        .build();
    WebSocketServerHandshaker handshaker =
        new WebSocketServerHandshakerFactory(location, null, decoder)
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
    int readPause = readPauseBytes(limits.maxBacklogBytes());
    vertx.channel().config().setWriteBufferWaterMark(
        new WriteBufferWaterMark(readPause / 2, readPause));
    SocketChannelHandler handler = new SocketChannelHandler(this, identity, request.headers());
    pipeline.replace(vertx.handler(), SocketChannelHandler.NAME, handler);
    pipeline.addBefore(SocketChannelHandler.NAME, "kora-utf8-validator",
        new Utf8FrameValidator(false));
    pipeline.addBefore(SocketChannelHandler.NAME, FragmentTimeout.NAME,
        new FragmentTimeout(limits.fragmentedMessageTimeoutMs()));
    pipeline.addBefore(SocketChannelHandler.NAME, AGGREGATOR,
        new WebSocketFrameAggregator(limit));
    if (limits.idleTimeoutMs() > 0) {
      // First in the pipeline: every byte read counts as activity.
      pipeline.addFirst("kora-idle", new IdleStateHandler(limits.idleTimeoutMs(), 0, 0,
          TimeUnit.MILLISECONDS));
    }
  }
}
