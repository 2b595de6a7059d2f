package dev.kora.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A client on a plain blocking socket that writes exactly the bytes it is told to, for traffic no
 * well-behaved client sends: half-sent requests, ping floods that never read, huge frames, requests
 * whose answers are never read. WebSocket frames are written as RFC 6455 section 5.2 lays them out
 * (FIN and opcode, the mask bit and payload length, a 4-byte mask, the masked payload). Loopback only
 * (the scenarios check the node's address). One thread at a time; {@link #close} from any thread
 * ends a blocked write.
 */
final class RawWebSocket implements AutoCloseable {

  static final int TEXT = 0x1;
  static final int PING = 0x9;

  private final Socket socket;
  private final OutputStream out;

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
  }

  /** Opens a TCP connection and sends nothing yet. */
  static RawWebSocket open(String host, int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), 10_000);
    socket.setTcpNoDelay(true);
    return new RawWebSocket(socket);
  }

  /** Opens a connection and completes the WebSocket handshake on {@code path}. */
  static RawWebSocket connect(String host, int port, String path) throws IOException {
    RawWebSocket client = open(host, port);
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    client.write("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n\r\n");
    String status = client.readHead();
    if (!status.startsWith("HTTP/1.1 101")) {
      client.close();
      throw new IOException("handshake refused: " + status);
    }
    return client;
  }

  /** Writes text as it is (e.g. part of an HTTP request). */
  void write(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Writes one masked frame with FIN set. */
  void frame(int opcode, byte[] payload) throws IOException {
    int length = payload.length;
    byte[] header = new byte[14];
    int at = 0;
    header[at++] = (byte) (0x80 | opcode);
    if (length < 126) {
      header[at++] = (byte) (0x80 | length);
    } else if (length < 65_536) {
      header[at++] = (byte) (0x80 | 126);
      header[at++] = (byte) (length >>> 8);
      header[at++] = (byte) length;
    } else {
      header[at++] = (byte) (0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        header[at++] = (byte) ((long) length >>> shift);
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    System.arraycopy(mask, 0, header, at, 4);
    at += 4;
    out.write(header, 0, at);
    byte[] masked = new byte[Math.min(length, 65_536)];
    for (int from = 0; from < length; from += masked.length) {
      int size = Math.min(masked.length, length - from);
      for (int i = 0; i < size; i++) {
        masked[i] = (byte) (payload[from + i] ^ mask[(from + i) & 3]);
      }
      out.write(masked, 0, size);
    }
    out.flush();
  }

  /** Writes a text frame. */
  void text(String message) throws IOException {
    frame(TEXT, message.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads an HTTP response head and returns its status line. */
  private String readHead() throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    socket.setSoTimeout(10_000);
    while (head.length() < 16_384 && (head.length() < 4
        || !head.substring(head.length() - 4).equals("\r\n\r\n"))) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.append((char) b);
    }
    socket.setSoTimeout(0);
    int end = head.indexOf("\r\n");
    return end < 0 ? head.toString() : head.substring(0, end);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a broken connection: nothing more to do
    }
  }
}
