package dev.kora.node.impl.socket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Joins a fragmented message (RFC 6455, section 5.4: a text or binary frame without FIN, then
 * continuation frames up to one with FIN) into one frame of at most the connection's limit (Netty's
 * {@link WebSocketFrameAggregator}; a longer one raises {@code TooLongFrameException}), and bounds the
 * time a client has to finish it: the aggregator holds the fragments received so far, and a client
 * that never sends the last one would keep them for the connection's life. When the message is not
 * finished in time, it raises a {@link CorruptedWebSocketFrameException} with status 1008 (policy
 * violation: the message is not too big, it is too slow), which {@link SocketChannelHandler} answers
 * by closing the connection with a close frame and releasing the fragments. One handler for both,
 * not two, since every connection pays for each handler in its pipeline (its context object).
 * Runs on the connection's event loop.
 */
final class FrameAggregator extends WebSocketFrameAggregator {

  private final long timeoutMs;
  private ScheduledFuture<?> timer;

  /**
   * @param maxBytes the most bytes of a message, its fragments together
   * @param timeoutMs ms from a message's first fragment to its last
   */
  FrameAggregator(int maxBytes, long timeoutMs) {
    super(maxBytes);
    this.timeoutMs = timeoutMs;
  }

  @Override
  public void channelRead(ChannelHandlerContext context, Object message) throws Exception {
    if ((message instanceof TextWebSocketFrame || message instanceof BinaryWebSocketFrame)
        && !((WebSocketFrame) message).isFinalFragment()) {
      if (timer == null) {
        timer = context.executor().schedule(() -> expired(context), timeoutMs,
            TimeUnit.MILLISECONDS);
      }
    } else if (message instanceof ContinuationWebSocketFrame continuation
        && continuation.isFinalFragment()) {
      cancel();
    }
    super.channelRead(context, message);
  }

  private void expired(ChannelHandlerContext context) {
    timer = null;
    context.fireExceptionCaught(new CorruptedWebSocketFrameException(
        WebSocketCloseStatus.POLICY_VIOLATION,
        "a fragmented message was not finished within " + timeoutMs + " ms"));
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** Also called when the channel is closed and its pipeline torn down. */
  @Override
  public void handlerRemoved(ChannelHandlerContext context) throws Exception {
    cancel();
    super.handlerRemoved(context);
  }
}
