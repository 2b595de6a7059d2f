package dev.kora.node.impl.socket;

import dev.kora.node.core.CommittedPart;
import dev.kora.protocol.Dialect;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.util.IdentityHashMap;

/**
 * The encoded pushes of the current event-loop task, shared by the node's connections: the fan-out
 * hands every subscriber of the same part of a commit the same {@link CommittedPart} object, so the
 * first connection encodes it ({@link PushFrame}) and the others write the same bytes. The cache is
 * emptied (its frames released) by a task queued behind the one that filled it, once every
 * connection has written its copy. Confined to the node's event loop.
 */
final class PushFrameCache {

  private final EventLoop eventLoop;
  private final int maxFrameBytes;
  private final IdentityHashMap<CommittedPart, PushFrame> frames = new IdentityHashMap<>();
  private final Runnable clear = this::clear;

  /**
   * @param eventLoop the node's event loop
   * @param maxFrameBytes the largest WebSocket frame payload; longer pushes are fragmented
   */
  PushFrameCache(EventLoop eventLoop, int maxFrameBytes) {
    this.eventLoop = eventLoop;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * @param part a committed part
   * @param dialect how the push is named
   * @return a retained duplicate of its frame's bytes, for the caller to write (and so release)
   */
  ByteBuf frame(CommittedPart part, Dialect dialect) {
    PushFrame frame = frames.get(part);
    if (frame == null) {
      if (frames.isEmpty()) {
        eventLoop.execute(clear);
      }
      frame = new PushFrame(part, maxFrameBytes);
      frames.put(part, frame);
    }
    return frame.webSocketFrame(dialect).retainedDuplicate();
  }

  private void clear() {
    for (PushFrame frame : frames.values()) {
      frame.release();
    }
    frames.clear();
  }
}
