package dev.kora.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A lean WebSocket client for receiving many pushes: Netty's RFC 6455 client codec
 * ({@link WebSocketClientProtocolHandler}) with the received text frames handed to the scenario as
 * bytes, without Vert.x's per-message context dispatch, buffer copy and UTF-8 decoding. Where the
 * load tool shares the cores with the node, every microsecond the tool spends per push is taken from
 * the node (the tool's CPU per push with either client is in docs/benchmarks.md), so the fan-out
 * scenario uses this client for its subscribers by default ({@code --client vertx} measures with
 * Vert.x's client instead). It is the one hand-written protocol client left besides the CLI's and
 * the test socket, kept because the measurement needs a receiver this lean.
 */
final class NettyClients implements AutoCloseable {

  /** Receives one connection's whole text messages, on the connection's event loop. */
  interface Receiver {

    /**
     * @param message the UTF-8 bytes of one text message; valid only during the call
     * @param nanoTime {@link System#nanoTime()} when it had been read and decoded
     */
    void text(ByteBuf message, long nanoTime);
  }

  private final EventLoopGroup group;
  private final List<Channel> channels = Collections.synchronizedList(new ArrayList<>());

  private final Class<? extends Channel> channelType;

  /**
   * @param threads event-loop threads for the connections; on Netty's native epoll transport where
   *     it is available (as the node is), else NIO
   */
  NettyClients(int threads) {
    boolean epoll = Epoll.isAvailable();
    this.group = new MultiThreadIoEventLoopGroup(threads,
        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    this.channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** @return {@code epoll} or {@code nio} */
  String transport() {
    return channelType == EpollSocketChannel.class ? "epoll" : "nio";
  }

  /**
   * Opens {@code count} connections to the node's WebSocket, at most {@code concurrency} handshakes
   * at a time; blocks until all are open.
   *
   * @param receivers makes each connection's receiver
   * @return the open connections
   * @throws IllegalStateException when a connection failed, with the first cause
   */
  List<Channel> connectAll(BenchNode node, int count, int concurrency,
      Supplier<Receiver> receivers, BenchOptions options) throws InterruptedException {
    URI uri = URI.create(node.url());
    return Clients.openAll(count, concurrency, () -> connect(uri, receivers.get()), options);
  }

  private CompletableFuture<Channel> connect(URI uri, Receiver receiver) {
    CompletableFuture<Channel> handshaken = new CompletableFuture<>();
    // No UTF-8 validation of every received text frame: the node's frames are checked by its own
    // tests, and here the check would only take CPU from the node sharing this machine.
    WebSocketClientProtocolHandler protocol = new WebSocketClientProtocolHandler(
        WebSocketClientProtocolConfig.newBuilder().webSocketUri(uri).version(WebSocketVersion.V13)
            .maxFramePayloadLength(64 * 1024 * 1024).withUTF8Validator(false).build());
    Bootstrap bootstrap = new Bootstrap().group(group).channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 60_000)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel channel) {
            channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65_536),
                protocol, new WebSocketFrameAggregator(1024 * 1024 * 1024),
                new TextHandler(receiver, handshaken));
          }
        });
    bootstrap.connect(uri.getHost(), uri.getPort()).addListener(connected -> {
      if (!connected.isSuccess()) {
        handshaken.completeExceptionally(connected.cause());
      }
    });
    return handshaken.thenApply(channel -> {
      channels.add(channel);
      return channel;
    });
  }

  /**
   * Sends a text message; from any thread.
   *
   * @param channel a connection from {@link #connectAll}
   * @param text the message
   */
  static void send(Channel channel, String text) {
    channel.writeAndFlush(new TextWebSocketFrame(text));
  }

  @Override
  public void close() {
    synchronized (channels) {
      for (Channel channel : channels) {
        channel.close();
      }
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Hands text messages to the receiver; completes the connect future after the handshake. */
  private static final class TextHandler extends SimpleChannelInboundHandler<TextWebSocketFrame> {

    private final Receiver receiver;
    private final CompletableFuture<Channel> handshaken;

    TextHandler(Receiver receiver, CompletableFuture<Channel> handshaken) {
      this.receiver = receiver;
      this.handshaken = handshaken;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) {
      if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
        handshaken.complete(context.channel());
      } else if (event
          == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
        handshaken.completeExceptionally(new IllegalStateException("WebSocket handshake timed out"));
      }
      context.fireUserEventTriggered(event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, TextWebSocketFrame frame) {
      receiver.text(frame.content(), System.nanoTime());
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
      handshaken.completeExceptionally(new IllegalStateException("connection closed"));
      context.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
      handshaken.completeExceptionally(cause);
      context.close();
    }
  }
}
