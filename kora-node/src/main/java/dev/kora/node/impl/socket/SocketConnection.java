package dev.kora.node.impl.socket;

import dev.kora.interceptors.Identity;
import dev.kora.interceptors.Session;
import dev.kora.node.core.CommittedPart;
import dev.kora.node.core.Connection;
import dev.kora.node.core.RequestParsing;
import dev.kora.node.core.Subscriber;
import dev.kora.node.logging.RequestLog;
import dev.kora.protocol.Errors;
import dev.kora.protocol.Frame;
import dev.kora.protocol.FrameCodec;
import dev.kora.protocol.FrameException;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Future;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connected to {@code /socket}: reads frames ({@link FrameCodec}), hands each call or cast
 * to the node's actions ({@link dev.kora.node.core.NodeCore#call}), answers calls with replies or error frames, and
 * writes the pushes of its subscriptions. The WebSocket transport only: what an action does is the
 * node's business. Runs on the node's context; a bad frame gets an error and never closes the
 * connection. Every close the node decides on goes through {@link #close(int, String)}: a close
 * frame with its status, then the TCP connection.
 */
final class SocketConnection implements Subscriber {

  private static final System.Logger LOG = System.getLogger(SocketConnection.class.getName());
  private static final AtomicLong IDS = new AtomicLong();
  /**
   * How long a close frame the node sent may wait to be written before the TCP connection is closed
   * anyway: a client that does not read would otherwise keep the connection and what waits for it.
   */
  static final long CLOSE_FRAME_TIMEOUT_MS = 5_000;
  /** The most bytes of a close frame's reason (RFC 6455: a control frame's payload is 125 bytes). */
  private static final int MAX_CLOSE_REASON_BYTES = 123;

  private final SocketEndpoint endpoint;
  /** Where frames are written: the connection's handler context, on the node's event loop. */
  private final ChannelHandlerContext channel;
  /**
   * Where whole frames ({@link WebSocketFrames}) are written: the context of Netty's WebSocket frame
   * decoder, the first handler after the socket (or after TLS), so that they go straight to the
   * socket's outbound buffer without passing the handlers after it; the connection's own context if
   * there is no decoder.
   */
  private final ChannelHandlerContext frameOutput;
  private final Connection connection;
  /** Holds frames back while a large one is parsed or too many writes wait. */
  private final InboundGate inbound;
  private boolean flushPending;
  private boolean closed;
  private boolean closeSent;
  /** Whether the socket was read since the last idle sweep ({@link #quietNanos}). */
  private boolean readSinceSweep;
  /** When the idle sweep last saw a read, or when the connection opened ({@link System#nanoTime}). */
  private long quietSince = System.nanoTime();
  /** Calls received so far: the number in each call's request id. */
  private long calls;

  /**
   * @param endpoint the node's endpoint: the node, the limits, the flusher, the shared pushes
   * @param channel the context of the connection's handler in its Netty pipeline, after the
   *     WebSocket handshake; frames written there pass the WebSocket encoder unchanged
   * @param identity the identity of the handshake's token, or null for an anonymous client
   * @param headers the handshake's headers, for the session
   */
  /** Close status of a connection whose token expired (private use range, RFC 6455 7.4.2). */
  static final int TOKEN_EXPIRED = 4001;

  SocketConnection(SocketEndpoint endpoint, ChannelHandlerContext channel, Identity identity,
      Iterable<Map.Entry<String, String>> headers) {
    this.endpoint = endpoint;
    this.channel = channel;
    ChannelHandlerContext decoder = channel.pipeline().context(WebSocketFrameDecoder.class);
    this.frameOutput = decoder == null ? channel : decoder;
    Session session = Session.client("c" + IDS.incrementAndGet(), headers);
    if (identity != null) {
      session.authenticate(identity);
    }
    this.connection = new Connection(endpoint.node(), session, this);
    connection.onExpired(() -> close(TOKEN_EXPIRED, "token expired"));
    endpoint.node().metrics().connectionOpened();
    endpoint.opened(this);
    connection.meter(endpoint.node().rateLimits().meter(
        SocketEndpoint.clientAddress(channel.channel())));
    this.inbound = new InboundGate(channel, this::onText);
    connection.onWritesFull(inbound::writesFull);
    endpoint.node().connected(connection.session());
  }

  /**
   * @param maxFrameBytes the node's message limit
   * @return the largest WebSocket frame and message the node's server takes and sends: twice the
   *     limit, so that messages up to twice the limit reach the connection, which answers them with
   *     {@code too_large}; beyond that the WebSocket layer closes the connection (status 1009)
   */
  static int transportLimit(int maxFrameBytes) {
    return (int) Math.min(Integer.MAX_VALUE - 8, 2L * maxFrameBytes);
  }

  @Override
  public Session session() {
    return connection.session();
  }

  /** Answers a binary message: the protocol is JSON text. */
  void onBinary() {
    send(new Frame.Error(null, ErrorCode.INVALID_MESSAGE,
        "binary frames are not supported; send JSON text frames"));
  }

  /** Handles one whole text message (a frame of the protocol). */
  void onText(String text) {
    if (inbound.hold(text)) {
      return;
    }
    if (RequestParsing.onWorker(endpoint.node(), text.length())) {
      onTextOnWorker(text);
      return;
    }
    Frame frame;
    try {
      frame = FrameCodec.decodeRequest(text, endpoint.maxFrameBytes());
    } catch (FrameException e) {
      send(e.toFrame());
      return;
    }
    handle(frame, text.length());
  }

  /** Parses a large frame on a worker thread; the connection's later frames wait for it. */
  private void onTextOnWorker(String text) {
    inbound.parsing();
    RequestParsing.decodeRequest(endpoint.node(), text, endpoint.maxFrameBytes())
        .onComplete(done -> {
          if (!closed) {
            if (done.succeeded()) {
              handle(done.result(), text.length());
            } else {
              send(done.cause() instanceof FrameException e ? e.toFrame()
                  : Errors.frame(null, done.cause()));
            }
          }
          inbound.parsed();
        });
  }

  /**
   * Runs a request; one over the rate limits is answered {@code rate_limited} (a cast is dropped),
   * and a connection that keeps flooding is closed (status 1008).
   *
   * @param size the message's characters, counted against the bytes per second
   */
  private void handle(Frame frame, int size) {
    String action = frame instanceof Frame.Cast cast ? cast.action() : ((Frame.Call) frame).action();
    KoraException refused = connection.admit(action, size);
    if (refused != null) {
      if (frame instanceof Frame.Call call) {
        send(Errors.frame(call.key(), refused));
      }
      if (connection.flooding()) {
        LOG.log(System.Logger.Level.WARNING, "closing connection " + session().connectionId()
            + ": it keeps sending over the rate limits");
        close(WebSocketCloseStatus.POLICY_VIOLATION.code(), "rate limit exceeded");
      }
      return;
    }
    if (frame instanceof Frame.Cast cast) {
      // no reply to write: pushes held for a subscribing cast go out once it has answered
      endpoint.node().call(cast.action(), cast.body(), connection)
          .onComplete(done -> connection.replied());
      return;
    }
    Frame.Call call = (Frame.Call) frame;
    long started = System.nanoTime();
    String requestId = RequestLog.callId(session().connectionId(), ++calls);
    Future<Object> result = endpoint.node().call(call.action(), call.body(), connection);
    result.onComplete(done -> {
      send(done.succeeded() ? new Frame.Reply(call.key(), done.result())
          : Errors.frame(call.key(), done.cause()));
      connection.replied();
      endpoint.node().requestLog().answered(requestId, session().connectionId(), call.action(),
          started, 0, done.cause());
    });
  }

  /** Closes with status 1012 (service restart): the client subscribes again. */
  @Override
  public void reset() {
    close(1012, "missed commits; subscribe again");
  }

  @Override
  public void push(CommittedPart part) {
    if (!closed) {
      ByteBuf frame = endpoint.pushFrames().frame(part, connection.dialect());
      endpoint.node().metrics().pushed(frame.readableBytes());
      write(frame);
    }
  }

  /**
   * Writes a frame. Replies and pushes both go straight to the Netty channel, past Vert.x's outbound
   * queue, so they leave in the order written: a subscribe reply always before the pushes that
   * follow it. They are flushed by the {@link SocketFlusher} at the end of the task.
   */
  private void send(Frame frame) {
    if (closed) {
      return;
    }
    write(WebSocketFrames.text(channel.alloc(), FrameCodec.encode(frame),
        transportLimit(endpoint.maxFrameBytes())));
  }

  /**
   * Answers a ping (RFC 6455, section 5.5.2). The pong counts against the connection's backlog like
   * every other frame: a client that pings without reading the pongs is closed past the limit (and is
   * not read from once its output is not writable, see {@link SocketChannelHandler}).
   *
   * @param data the ping's application data; released here
   */
  void pong(ByteBuf data) {
    if (closeSent || overBacklog()) {
      data.release();
      return;
    }
    frameOutput.write(WebSocketFrames.pong(channel.alloc(), data), frameOutput.voidPromise());
    scheduleFlush();
  }

  /** @param frame a whole WebSocket frame, header included; released once written */
  private void write(ByteBuf frame) {
    if (overBacklog()) {
      frame.release();
      return;
    }
    frameOutput.write(frame, frameOutput.voidPromise());
    scheduleFlush();
  }

  /**
   * @return whether more than {@code maxBacklogBytes} wait to be sent; if so, the connection is being
   *     closed: the client reads slower than it is sent to, and is dropped rather than buffered for
   *     without bound
   */
  /** @return bytes waiting in the node to be sent on this connection */
  long backlogBytes() {
    ChannelOutboundBuffer backlog = channel.channel().unsafe().outboundBuffer();
    return backlog == null ? 0 : backlog.totalPendingWriteBytes();
  }

  private boolean overBacklog() {
    ChannelOutboundBuffer backlog = channel.channel().unsafe().outboundBuffer();
    long maxBacklogBytes = endpoint.maxBacklogBytes();
    if (backlog == null || backlog.totalPendingWriteBytes() <= maxBacklogBytes) {
      return false;
    }
    LOG.log(System.Logger.Level.WARNING, "closing connection " + session().connectionId() + ": "
        + backlog.totalPendingWriteBytes() + " bytes wait to be sent, over maxBacklogBytes "
        + maxBacklogBytes);
    close(WebSocketCloseStatus.POLICY_VIOLATION.code(),
        "more than maxBacklogBytes (" + maxBacklogBytes + ") wait to be sent");
    return true;
  }

  private void scheduleFlush() {
    if (!flushPending) {
      flushPending = true;
      endpoint.flusher().schedule(this);
    }
  }

  /**
   * Closes the connection as the node decided (RFC 6455, section 7.1.2): drops its subscriptions at
   * once, stops reading from it, releases a message it was receiving in fragments, queues a close
   * frame with the status behind what waits to be sent, and closes the TCP connection once that
   * frame is written, or after {@value #CLOSE_FRAME_TIMEOUT_MS} ms if the client does not read it.
   * Later calls close the TCP connection at once (e.g. when the client answers the close frame).
   *
   * @param status the close status, e.g. 1009 (message too big)
   * @param reason why, in a few ASCII words (cut to fit a control frame)
   */
  void close(int status, String reason) {
    Channel socket = channel.channel();
    if (closeSent) {
      socket.close();
      return;
    }
    closeSent = true;
    closed();
    socket.config().setAutoRead(false);
    if (channel.pipeline().get(SocketEndpoint.AGGREGATOR) != null) {
      channel.pipeline().remove(SocketEndpoint.AGGREGATOR);
    }
    flush();
    frameOutput.writeAndFlush(WebSocketFrames.close(channel.alloc(), status, closeReason(reason)))
        .addListener(ChannelFutureListener.CLOSE);
    ScheduledFuture<?> timeout = socket.eventLoop().schedule(() -> socket.close(),
        CLOSE_FRAME_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    socket.closeFuture().addListener(done -> timeout.cancel(false));
  }

  /** The socket was read from: the client is active. */
  void read() {
    readSinceSweep = true;
  }

  /**
   * For the endpoint's idle sweep: how long the client has sent nothing, to within one sweep.
   *
   * @param now {@link System#nanoTime()} of the sweep
   * @return ns since the sweep that last saw a read (0 when one came since the last sweep), or since
   *     the connection opened
   */
  long quietNanos(long now) {
    if (readSinceSweep) {
      readSinceSweep = false;
      quietSince = now;
    }
    return now - quietSince;
  }

  /** @return whether the node has sent (or queued) its close frame */
  boolean closeSent() {
    return closeSent;
  }

  /** @return whether the connection holds at least one subscription */
  boolean hasSubscriptions() {
    return connection.hasSubscriptions();
  }

  /** @return the reason as printable ASCII that fits a control frame, "..." marking a cut */
  private static String closeReason(String reason) {
    if (reason == null) {
      return "";
    }
    String ascii = reason.replaceAll("[^\\x20-\\x7E]", "?");
    return ascii.length() <= MAX_CLOSE_REASON_BYTES ? ascii
        : ascii.substring(0, MAX_CLOSE_REASON_BYTES - 3) + "...";
  }
  /** Flushes what was written since the last flush; called by the {@link SocketFlusher}. */
  void flush() {
    if (flushPending) {
      flushPending = false;
      channel.flush();
    }
  }

  /** Called once the connection is closed: drops its subscriptions and tells the handlers. */
  void closed() {
    if (closed) {
      return;
    }
    closed = true;
    inbound.clear();
    connection.close();
    endpoint.node().metrics().connectionClosed();
    endpoint.closed(this);
    endpoint.node().disconnected(connection.session());
  }
}
