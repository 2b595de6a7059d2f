package dev.kora.node.impl.socket;

import dev.kora.node.core.CommittedPart;
import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.protocol.Frame;
import dev.kora.protocol.FrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;
import io.vertx.core.json.JsonObject;

/**
 * The push of one committed part, encoded once and shared by every connection that receives it:
 * {@code {"type":"cast","action":"riptide.mutation","body":M}} as the bytes of a WebSocket frame, and
 * the same with {@code kora.mutation} and the commit's version in the body ({@code {"merge": ...,
 * "delete": ..., "version": 42}}) for connections that subscribed with {@code kora.*} actions. Each
 * connection writes a {@link ByteBuf#retainedDuplicate() retained duplicate}; the
 * {@link PushFrameCache} {@link #release() releases} this object once the delivery is over, and the
 * bytes are freed when the last write has left. Confined to the node's event loop.
 */
final class PushFrame extends AbstractReferenceCounted {

  private final CommittedPart part;
  private final int maxFrameBytes;
  private ByteBuf riptide;
  private ByteBuf kora;

  /**
   * @param part the part of the committed mutation, with its version
   * @param maxFrameBytes the largest WebSocket frame payload; longer pushes are fragmented
   */
  PushFrame(CommittedPart part, int maxFrameBytes) {
    this.part = part;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * @param dialect how the push is named
   * @return the push's WebSocket frame bytes, encoded on first use; owned by this object
   */
  ByteBuf webSocketFrame(Dialect dialect) {
    if (dialect == Dialect.KORA) {
      if (kora == null) {
        kora = encode(dialect);
      }
      return kora;
    }
    if (riptide == null) {
      riptide = encode(dialect);
    }
    return riptide;
  }

  private ByteBuf encode(Dialect dialect) {
    // kora.mutation pushes carry the version; riptide.mutation ones stay as Riptide sent them
    JsonObject body = part.mutation().wire();
    if (dialect == Dialect.KORA) {
      body.put("version", part.version());
    }
    String text = FrameCodec.encode(new Frame.Cast(Action.MUTATION.wireName(dialect), body));
    return WebSocketFrames.text(PooledByteBufAllocator.DEFAULT, text, maxFrameBytes);
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
