package dev.kora.node.impl.socket;

import dev.kora.interceptors.Identity;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The Netty handler of one {@code /socket} connection, after its handshake: hands whole text messages
 * to its {@link SocketConnection}, answers pings, runs the closing handshake (RFC 6455, section
 * 5.5.1: a close frame is answered with a close frame, then the TCP connection is closed), and turns
 * what goes wrong below it into a close with the right status: 1009 for a message over the limit,
 * 1002 for a protocol violation, 1007 for text that is not UTF-8 (checked here on the whole message),
 * 1008 for a fragmented message not finished in time. It also tells the connection of every read
 * from the socket, for the endpoint's idle sweep.
 *
 * <p>Backpressure: while the channel is not writable (more than its high water mark waits to be sent,
 * see {@link SocketEndpoint#readPauseBytes}) nothing more is read from it; reading resumes once it
 * has drained to the low water mark.
 */
final class SocketChannelHandler extends ChannelInboundHandlerAdapter {

  /** Name of this handler in the channel pipeline. */
  static final String NAME = "kora-socket";

  private static final System.Logger LOG = System.getLogger(SocketChannelHandler.class.getName());

  private final SocketEndpoint endpoint;
  private Identity identity;
  /** The handshake's headers until the connection is made from them; then null (not retained). */
  private Iterable<Map.Entry<String, String>> headers;
  private SocketConnection connection;

  /**
   * @param endpoint the node's endpoint
   * @param identity the identity of the handshake's token, or null
   * @param headers the handshake's headers
   */
  SocketChannelHandler(SocketEndpoint endpoint, Identity identity,
      Iterable<Map.Entry<String, String>> headers) {
    this.endpoint = endpoint;
    this.identity = identity;
    this.headers = headers;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext context) {
    connection = new SocketConnection(endpoint, context, identity, headers);
    identity = null;
    headers = null;
    if (!context.channel().isActive()) {
      connection.closed();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext context, Object message) {
    try {
      if (connection.closeSent() && !(message instanceof CloseWebSocketFrame)) {
        return;
      }
      if (message instanceof TextWebSocketFrame) {
        ByteBuf text = ((TextWebSocketFrame) message).content();
        if (!ByteBufUtil.isText(text, StandardCharsets.UTF_8)) {
          connection.close(WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code(), "text that is not"
              + " UTF-8");
          return;
        }
        connection.onText(text.toString(StandardCharsets.UTF_8));
      } else if (message instanceof BinaryWebSocketFrame) {
        connection.onBinary();
      } else if (message instanceof PingWebSocketFrame) {
        connection.pong(((PingWebSocketFrame) message).content().retain());
      } else if (message instanceof CloseWebSocketFrame) {
        CloseWebSocketFrame close = (CloseWebSocketFrame) message;
        int status = close.statusCode();
        connection.close(status < 0 ? WebSocketCloseStatus.NORMAL_CLOSURE.code() : status, null);
      }
      // Pong frames, and the end of the upgrade request Vert.x's decoder passed on, need nothing.
    } finally {
      ReferenceCountUtil.release(message);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext context) {
    if (!connection.closeSent()) {
      context.channel().config().setAutoRead(context.channel().isWritable());
    }
    context.fireChannelWritabilityChanged();
  }

  /** After every read from the socket, whether or not it ended a message: the client is active. */
  @Override
  public void channelReadComplete(ChannelHandlerContext context) {
    connection.read();
    context.fireChannelReadComplete();
  }

  @Override
  public void channelInactive(ChannelHandlerContext context) {
    connection.closed();
    context.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException corrupted) {
      // From Netty's decoder (1002, or 1009 for a frame over the limit) or the fragment timeout of
      // the FrameAggregator (1008).
      connection.close(corrupted.closeStatus().code(), corrupted.getMessage());
    } else if (cause instanceof TooLongFrameException) {
      // From the aggregator: a message of several frames over the limit.
      connection.close(WebSocketCloseStatus.MESSAGE_TOO_BIG.code(), "a message may have at most "
          + SocketConnection.transportLimit(endpoint.maxFrameBytes()) + " bytes");
    } else {
      // An I/O error: nothing can be sent any more.
      LOG.log(System.Logger.Level.DEBUG, "closing a WebSocket connection after " + cause, cause);
      context.close();
    }
  }
}
