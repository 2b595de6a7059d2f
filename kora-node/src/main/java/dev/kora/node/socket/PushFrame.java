package dev.kora.node.socket;

import dev.kora.tree.Mutation;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

/**
 * The push of one committed mutation's part, encoded once and shared by every connection subscribed
 * to the same paths: {@code {"type":"cast","action":"riptide.mutation","body":M}} as the bytes of a
 * WebSocket frame, and the same with {@code kora.mutation} for connections that subscribed with
 * {@code kora.*} actions. Each connection writes a {@link ByteBuf#retainedDuplicate() retained
 * duplicate}; the fan-out {@link #release() releases} this object once every connection has had its
 * copy, and the bytes are freed when the last write has left. Confined to the node's event loop.
 */
final class PushFrame extends AbstractReferenceCounted {

  private final Mutation part;
  private final int maxFrameBytes;
  private ByteBuf riptide;
  private ByteBuf kora;

  /**
   * @param part the part of the committed mutation
   * @param maxFrameBytes the largest WebSocket frame payload; longer pushes are fragmented
   */
  PushFrame(Mutation part, int maxFrameBytes) {
    this.part = part;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * @param prefix {@code riptide} or {@code kora}
   * @return the push's WebSocket frame bytes, encoded on first use; owned by this object
   */
  ByteBuf webSocketFrame(String prefix) {
    if ("kora".equals(prefix)) {
      if (kora == null) {
        kora = encode("kora.mutation");
      }
      return kora;
    }
    if (riptide == null) {
      riptide = encode("riptide.mutation");
    }
    return riptide;
  }

  private ByteBuf encode(String action) {
    return WebSocketFrames.text(PooledByteBufAllocator.DEFAULT, Frames.cast(action, part.toJson()),
        maxFrameBytes);
  }

  @Override
  protected void deallocate() {
    if (riptide != null) {
      riptide.release();
    }
    if (kora != null) {
      kora.release();
    }
  }

  @Override
  public ReferenceCounted touch(Object hint) {
    return this;
  }
}
