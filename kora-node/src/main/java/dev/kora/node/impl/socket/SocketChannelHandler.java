package dev.kora.node.impl.socket;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * The Netty handler of one {@code /socket} connection, after its handshake: hands whole text messages
 * to its {@link SocketConnection}, answers pings, and runs the closing handshake (RFC 6455, section
 * 5.5.1: a close frame is answered with a close frame, then the TCP connection is closed).
 */
final class SocketChannelHandler extends ChannelInboundHandlerAdapter {

  /** Name of this handler in the channel pipeline. */
  static final String NAME = "kora-socket";

  private final SocketEndpoint endpoint;
  private SocketConnection connection;
  private boolean closeSent;

  /** @param endpoint the node's endpoint */
  SocketChannelHandler(SocketEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext context) {
    connection = new SocketConnection(endpoint, context);
    if (!context.channel().isActive()) {
      connection.closed();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext context, Object message) {
    try {
      if (message instanceof TextWebSocketFrame) {
        connection.onText(((TextWebSocketFrame) message).text());
      } else if (message instanceof BinaryWebSocketFrame) {
        connection.onBinary();
      } else if (message instanceof PingWebSocketFrame) {
        context.writeAndFlush(new PongWebSocketFrame(
            ((PingWebSocketFrame) message).content().retain()));
      } else if (message instanceof CloseWebSocketFrame) {
        CloseWebSocketFrame close = (CloseWebSocketFrame) message;
        int status = close.statusCode();
        close(context, status < 0 ? WebSocketCloseStatus.NORMAL_CLOSURE.code() : status, null);
      }
      // Pong frames, and the end of the upgrade request Vert.x's decoder passed on, need nothing.
    } finally {
      ReferenceCountUtil.release(message);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext context) {
    connection.closed();
    context.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      close(context, WebSocketCloseStatus.MESSAGE_TOO_BIG.code(),
          "a message may have at most " + SocketConnection.transportLimit(endpoint.maxFrameBytes()) + " bytes");
    } else {
      // A protocol violation (the decoder has sent its close frame) or an I/O error.
      System.getLogger(SocketChannelHandler.class.getName()).log(System.Logger.Level.DEBUG,
          "closing a WebSocket connection after " + cause, cause);
      context.close();
    }
  }

  /** Sends a close frame (once) and closes the connection once it is written. */
  private void close(ChannelHandlerContext context, int status, String reason) {
    if (closeSent) {
      context.close();
      return;
    }
    closeSent = true;
    connection.flush();
    context.writeAndFlush(new CloseWebSocketFrame(status, reason == null ? "" : reason))
        .addListener(ChannelFutureListener.CLOSE);
  }
}
