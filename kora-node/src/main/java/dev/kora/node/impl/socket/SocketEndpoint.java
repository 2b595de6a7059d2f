package dev.kora.node.impl.socket;

import dev.kora.interceptors.Identity;
import dev.kora.node.core.NodeCore;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
 * UTF-8 (checked on each whole message by {@link SocketChannelHandler}; else status 1007), a
 * fragmented message must be finished within {@link Limits#fragmentedMessageTimeoutMs}
 * ({@link FrameAggregator}; else 1008), and a connection without subscriptions that sends nothing
 * for {@link Limits#idleTimeoutMs} is closed (1001) by a sweep over the open connections every
 * quarter of that time (at most every 10 s), so within 1.25 times the timeout. Every close the node decides on sends a close frame with its status first
 * ({@link SocketConnection#close}): Netty's decoder is told not to send its own, which would pass
 * below the frame encoder unencoded and never leave. No WebSocket extensions are negotiated (no
 * per-message compression: its deflate state costs hundreds of KB per connection).
 *
 * <p>Memory: an idle connection costs its Netty channel and pipeline, and each handler in it a
 * context object besides its own, so the pipeline holds only Netty's frame decoder, one
 * {@link FrameAggregator} and the connection's {@link SocketChannelHandler}: the node encodes the
 * frames it sends itself ({@link WebSocketFrames}, pushes once for all), the idle timeout is one
 * sweep for all connections, not a timer handler per connection, UTF-8 is checked on the whole
 * message, and the decoder's settings, the write buffer water marks and the receive buffer sizing
 * are shared by all connections ({@code kora bench connections --histogram} shows what remains).
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
  /** Settings of every connection's frame decoder. */
  private final WebSocketDecoderConfig decoder;
  /** Write buffer water marks of every connection. */
  private final WriteBufferWaterMark waterMark;
  /** Sizes the receive buffers of every connection (each channel has its own handle). */
  private final RecvByteBufAllocator receive = new AdaptiveRecvByteBufAllocator();
  /** The timer of {@link #closeIdle} while connections are open and a timeout is set, or -1. */
  private long idleSweep = -1;

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
    // The decoder must not send close frames itself: it sits below the frame encoder (where
    // Vert.x's HTTP decoder was), so its frame would reach the socket unencoded and never leave. It
    // throws, and SocketChannelHandler closes with the exception's status. No UTF-8 check here: the
    // connection's handler checks each whole message (one pipeline handler less per connection).
    this.decoder = WebSocketDecoderConfig.newBuilder()
        .maxFramePayloadLength(SocketConnection.transportLimit(limits.maxFrameBytes()))
        .allowExtensions(false).closeOnProtocolViolation(false).withUTF8Validator(false).build();
    int readPause = readPauseBytes(limits.maxBacklogBytes());
    this.waterMark = new WriteBufferWaterMark(readPause / 2, readPause);
  }

  /**
   * @param connection a connection that opened: counted in the backlog gauge, and watched for
   *     idleness; on the node's context
   */
  void opened(SocketConnection connection) {
    open.add(connection);
    if (idleSweep < 0 && limits.idleTimeoutMs() > 0) {
      long interval = Math.max(1, Math.min(limits.idleTimeoutMs() / 4, 10_000));
      idleSweep = node.context().owner().setPeriodic(interval, id -> closeIdle());
    }
  }

  /** @param connection a connection that closed */
  void closed(SocketConnection connection) {
    open.remove(connection);
    if (open.isEmpty() && idleSweep >= 0) {
      node.context().owner().cancelTimer(idleSweep);
      idleSweep = -1;
    }
  }

  /**
   * Closes (1001) the open connections that hold no subscription and have sent nothing for the idle
   * timeout; on the node's context, every quarter of the timeout.
   */
  private void closeIdle() {
    long now = System.nanoTime();
    long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(limits.idleTimeoutMs());
    List<SocketConnection> idle = new ArrayList<>();
    for (SocketConnection connection : open) {
      if (connection.quietNanos(now) >= timeoutNanos && !connection.closeSent()
          && !connection.hasSubscriptions()) {
        idle.add(connection);
      }
    }
    for (SocketConnection connection : idle) {
      connection.close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE.code(), "idle for "
          + limits.idleTimeoutMs() + " ms without a subscription");
    }
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

  SocketFlusher flusher() {
    return flusher;
  }

  PushFrameCache pushFrames() {
    return pushFrames;
  }

  /**
   * @param channel a client's connection
   * @return the client's IP address as text (e.g. {@code 127.0.0.1}), the key of the connection cap
   *     and the rate limits; made when asked, so that no connection holds one of its own
   */
  public static String clientAddress(Channel channel) {
    SocketAddress remote = channel.remoteAddress();
    return remote instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress().getHostAddress() : String.valueOf(remote);
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
    // The node encodes every frame it sends itself (WebSocketFrames): no encoder per connection.
    if (pipeline.get(WebSocketFrameEncoder.class) != null) {
      pipeline.remove(WebSocketFrameEncoder.class);
    }
    vertx.channel().config().setWriteBufferWaterMark(waterMark);
    vertx.channel().config().setRecvByteBufAllocator(receive);
    SocketChannelHandler handler = new SocketChannelHandler(this, identity, request.headers());
    pipeline.replace(vertx.handler(), SocketChannelHandler.NAME, handler);
    pipeline.addBefore(SocketChannelHandler.NAME, AGGREGATOR,
        new FrameAggregator(limit, limits.fragmentedMessageTimeoutMs()));
  }
}
