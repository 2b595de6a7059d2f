package dev.kora.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client over a plain blocking {@link Socket}, frames written and read by hand (RFC 6455,
 * section 5.2), for traffic no well-behaved client library sends: pings without reading the pongs,
 * bytes that are not UTF-8 in a text frame, a fragmented message never finished, an unmasked frame,
 * an upgrade request cut in half. Every read waits at most {@link #READ_TIMEOUT_MS}; only
 * {@code 127.0.0.1}. Part of kora-test-kit. Not thread-safe, except {@link #close()}.
 */
public final class RawWebSocket implements AutoCloseable {

  /** How long a read waits before it fails. */
  public static final int READ_TIMEOUT_MS = 5_000;
  /** Opcode of a continuation frame. */
  public static final int CONTINUATION = 0x0;
  /** Opcode of a text frame. */
  public static final int TEXT = 0x1;
  /** Opcode of a close frame. */
  public static final int CLOSE = 0x8;
  /** Opcode of a ping frame. */
  public static final int PING = 0x9;
  /** Opcode of a pong frame. */
  public static final int PONG = 0xA;
  /** What {@link #awaitClose()} answers when the connection ended without a close frame. */
  public static final int NO_CLOSE_FRAME = 1006;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /**
   * A frame as received.
   *
   * @param fin whether it ends its message
   * @param opcode its opcode, e.g. {@link #TEXT}
   * @param payload its payload (servers do not mask)
   */
  public record Frame(boolean fin, int opcode, byte[] payload) {

    /** @return the status of a close frame, 1005 when it has none */
    public int closeStatus() {
      return payload.length < 2 ? 1005 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
    }

    /** @return the payload as UTF-8 text (a close frame's reason after its status) */
    public String text() {
      int from = opcode == CLOSE ? Math.min(2, payload.length) : 0;
      return new String(payload, from, payload.length - from, StandardCharsets.UTF_8);
    }
  }

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /**
   * Opens a TCP connection to {@code 127.0.0.1:port} and sends nothing.
   *
   * @param port the node's port
   * @return the client, not yet upgraded
   */
  public static RawWebSocket open(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MS);
    socket.setSoTimeout(READ_TIMEOUT_MS);
    socket.setTcpNoDelay(true);
    return new RawWebSocket(socket);
  }

  /**
   * Opens a connection and completes the WebSocket handshake on {@code /socket}.
   *
   * @param port the node's port
   * @return the client, upgraded
   * @throws IOException when the node does not answer {@code 101 Switching Protocols}
   */
  public static RawWebSocket connect(int port) throws IOException {
    RawWebSocket client = open(port);
    try {
      client.writeRaw(upgradeRequest(port).getBytes(StandardCharsets.US_ASCII));
      String head = client.readHttpHead();
      if (!head.startsWith("HTTP/1.1 101")) {
        throw new IOException("no WebSocket handshake: " + head);
      }
      return client;
    } catch (IOException e) {
      client.close();
      throw e;
    }
  }

  /**
   * @param port the node's port
   * @return a whole upgrade request for {@code /socket}, its blank line included
   */
  public static String upgradeRequest(int port) {
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    return "GET /socket HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
        + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  }

  /** Writes bytes as they are. */
  public void writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /**
   * Writes one masked frame, as a client must.
   *
   * @param fin whether it ends its message
   * @param opcode e.g. {@link #TEXT}
   * @param payload its payload
   */
  public void writeFrame(boolean fin, int opcode, byte[] payload) throws IOException {
    writeRaw(frame(fin, opcode, payload, true));
  }

  /**
   * @param fin whether it ends its message
   * @param opcode e.g. {@link #PING}
   * @param payload its payload
   * @param masked whether to mask it (a client must; false makes a protocol violation)
   * @return the frame's bytes
   */
  public static byte[] frame(boolean fin, int opcode, byte[] payload, boolean masked) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write((fin ? 0x80 : 0) | opcode);
    int mask = masked ? 0x80 : 0;
    if (payload.length < 126) {
      frame.write(mask | payload.length);
    } else if (payload.length < 65_536) {
      frame.write(mask | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length);
    } else {
      frame.write(mask | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) ((long) payload.length >>> shift));
      }
    }
    if (!masked) {
      frame.writeBytes(payload);
      return frame.toByteArray();
    }
    byte[] key = new byte[4];
    ThreadLocalRandom.current().nextBytes(key);
    frame.writeBytes(key);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ key[i & 3]);
    }
    return frame.toByteArray();
  }

  /** @return the next frame; fails after {@link #READ_TIMEOUT_MS} or at the end of the stream */
  public Frame readFrame() throws IOException {
    int first = readByte();
    int second = readByte();
    long length = second & 0x7F;
    if (length == 126) {
      length = (readByte() << 8) | readByte();
    } else if (length == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) {
        length = (length << 8) | readByte();
      }
    }
    if (length > Integer.MAX_VALUE - 8) {
      throw new IOException("frame of " + length + " bytes");
    }
    byte[] payload = in.readNBytes((int) length);
    if (payload.length < length) {
      throw new EOFException("the connection ended inside a frame");
    }
    return new Frame((first & 0x80) != 0, first & 0x0F, payload);
  }

  /**
   * Reads frames until a close frame or the end of the connection.
   *
   * @return the close frame, or null when the connection ended without one (status 1006)
   * @throws SocketTimeoutException when neither comes within {@link #READ_TIMEOUT_MS} of a frame
   */
  public Frame awaitCloseFrame() throws IOException {
    while (true) {
      Frame frame;
      try {
        frame = readFrame();
      } catch (EOFException | java.net.SocketException ended) {
        return null;
      }
      if (frame.opcode() == CLOSE) {
        return frame;
      }
    }
  }

  /** @return the status of {@link #awaitCloseFrame()}, {@link #NO_CLOSE_FRAME} without one */
  public int awaitClose() throws IOException {
    Frame close = awaitCloseFrame();
    return close == null ? NO_CLOSE_FRAME : close.closeStatus();
  }

  /**
   * @return whether the node ended the connection (end of stream or reset) within
   *     {@link #READ_TIMEOUT_MS}, reading and dropping whatever came before
   */
  public boolean endedByPeer() throws IOException {
    byte[] sink = new byte[8192];
    try {
      while (in.read(sink) >= 0) {
        // Drop what the node sent before it closed.
      }
      return true;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  /** @return an HTTP response's head, up to its blank line, as text */
  public String readHttpHead() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = readByte();
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * @param length how many bytes
   * @return the next bytes, e.g. a response body of known length
   */
  public byte[] readBytes(int length) throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length) {
      throw new EOFException("the connection ended after " + bytes.length + " of " + length);
    }
    return bytes;
  }

  /** @return the output stream, to write floods from another thread */
  public OutputStream output() {
    return out;
  }

  /** @return the socket, e.g. for its state */
  public Socket socket() {
    return socket;
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("the connection ended");
    }
    return b;
  }

  /** Closes the TCP connection; unblocks a thread writing to it. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing is all that is asked.
    }
  }
}
