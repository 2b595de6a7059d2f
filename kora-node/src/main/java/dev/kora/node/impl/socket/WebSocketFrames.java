package dev.kora.node.impl.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;

/**
 * Encodes a text message as the bytes of server-to-client WebSocket frames (RFC 6455, section 5.2:
 * unmasked, FIN and opcode, then a 7-bit, 16-bit or 64-bit payload length), so that one push can be
 * encoded once and the same bytes written to every subscribed connection. A message longer than
 * {@code maxFrameBytes} is sent as a text frame followed by continuation frames, as Vert.x does.
 * The node's pong and close frames are encoded here too, so a connection's pipeline needs no frame
 * encoder.
 */
final class WebSocketFrames {

  private static final int FIN = 0x80;
  private static final int TEXT = 0x1;
  private static final int CONTINUATION = 0x0;
  private static final int CLOSE = 0x8;
  private static final int PONG = 0xA;

  private WebSocketFrames() {
  }

  /**
   * @param allocator where the buffer comes from
   * @param message the message
   * @param maxFrameBytes the largest payload of one frame, at least 1
   * @return the frames, ready to be written to the channel below the WebSocket encoder
   */
  static ByteBuf text(ByteBufAllocator allocator, String message, int maxFrameBytes) {
    int length = ByteBufUtil.utf8Bytes(message);
    int frames = Math.max(1, (int) ((length + (long) maxFrameBytes - 1) / maxFrameBytes));
    ByteBuf out = allocator.buffer(length + frames * 10);
    if (frames == 1) {
      header(out, FIN | TEXT, length);
      ByteBufUtil.reserveAndWriteUtf8(out, message, length);
      return out;
    }
    ByteBuf payload = allocator.buffer(length);
    try {
      ByteBufUtil.reserveAndWriteUtf8(payload, message, length);
      for (int i = 0; i < frames; i++) {
        int size = Math.min(maxFrameBytes, payload.readableBytes());
        header(out, (i == frames - 1 ? FIN : 0) | (i == 0 ? TEXT : CONTINUATION), size);
        out.writeBytes(payload, size);
      }
    } finally {
      payload.release();
    }
    return out;
  }

  /**
   * @param allocator where the buffer comes from
   * @param data the application data of the ping answered, at most 125 bytes (the decoder refuses
   *     longer control frames); released here
   * @return a pong frame carrying it (RFC 6455, section 5.5.3)
   */
  static ByteBuf pong(ByteBufAllocator allocator, ByteBuf data) {
    try {
      int length = data.readableBytes();
      ByteBuf out = allocator.buffer(2 + length);
      header(out, FIN | PONG, length);
      out.writeBytes(data, data.readerIndex(), length);
      return out;
    } finally {
      data.release();
    }
  }

  /**
   * @param allocator where the buffer comes from
   * @param status the close status, e.g. 1009
   * @param reason printable ASCII of at most 123 characters (a control frame's payload is at most
   *     125 bytes, the status included)
   * @return a close frame with the status and the reason (RFC 6455, section 5.5.1)
   */
  static ByteBuf close(ByteBufAllocator allocator, int status, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.US_ASCII);
    ByteBuf out = allocator.buffer(4 + text.length);
    header(out, FIN | CLOSE, 2 + text.length);
    out.writeShort(status);
    out.writeBytes(text);
    return out;
  }

  private static void header(ByteBuf out, int first, int length) {
    out.writeByte(first);
    if (length < 126) {
      out.writeByte(length);
    } else if (length < 65_536) {
      out.writeByte(126);
      out.writeShort(length);
    } else {
      out.writeByte(127);
      out.writeLong(length);
    }
  }
}
