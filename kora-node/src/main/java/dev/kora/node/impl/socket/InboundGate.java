package dev.kora.node.impl.socket;

import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * Holds back a connection's incoming messages while it may not be served: while one of its large
 * frames is parsed on a worker thread (later ones wait, so frames are still handled in the order
 * sent), and while too many of its mutations wait for their commit. Meanwhile Netty stops reading
 * the socket (auto-read off), so the client is slowed by TCP flow control and what is held stays
 * bounded by the messages already read; they are handed on, in order, once the gate opens.
 * Confined to the node's event loop.
 */
final class InboundGate {

  private final ChannelHandlerContext channel;
  private final Consumer<String> handler;
  /** The messages held back, in order; null while none is (most connections never hold one). */
  private ArrayDeque<String> held;
  private boolean parsing;
  private boolean writesFull;
  /** Whether the message being handed to the handler is a held one, let through once. */
  private boolean delivering;

  /**
   * @param channel the connection's channel
   * @param handler handles a message (and asks {@link #hold} first)
   */
  InboundGate(ChannelHandlerContext channel, Consumer<String> handler) {
    this.channel = channel;
    this.handler = handler;
  }

  /**
   * @param text a message just read, or a held one handed back
   * @return true when it is held back (the handler gets it later), false to handle it now
   */
  boolean hold(String text) {
    if (delivering) {
      delivering = false;
      return false;
    }
    if (closed() || held != null) {
      if (held == null) {
        held = new ArrayDeque<>();
      }
      held.add(text);
      return true;
    }
    return false;
  }

  /** Holds later messages until {@link #parsed()}: a frame is parsed on a worker thread. */
  void parsing() {
    parsing = true;
    update();
  }

  /** The frame parsed on a worker thread is handled: later messages may go on. */
  void parsed() {
    parsing = false;
    update();
  }

  /**
   * @param full whether the connection has as many writes pending as it may
   *     ({@link dev.kora.node.core.Connection#onWritesFull})
   */
  void writesFull(boolean full) {
    writesFull = full;
    update();
  }

  /** Drops what is held: the connection is closed. */
  void clear() {
    held = null;
  }

  private boolean closed() {
    return parsing || writesFull;
  }

  private void update() {
    if (closed()) {
      channel.channel().config().setAutoRead(false);
      return;
    }
    while (!closed() && held != null) {
      String next = held.poll();
      if (held.isEmpty()) {
        held = null;
      }
      delivering = true;
      handler.accept(next);
      delivering = false;
    }
    if (!closed()) {
      // Turning auto-read back on also asks the channel for the next read.
      channel.channel().config().setAutoRead(true);
    }
  }
}
