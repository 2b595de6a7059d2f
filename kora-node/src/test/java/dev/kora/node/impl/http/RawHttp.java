package dev.kora.node.impl.http;

import dev.kora.testkit.TestSocket;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client on a plain {@link Socket}: it sends the bytes it is given (paths that HTTP
 * clients would normalise, pipelined requests, odd headers) and reads answers only when asked, so a
 * test can be a client that never reads. Blocking: use it on the test thread, never on an event loop.
 */
final class RawHttp implements Closeable {

  /** One answer: status, headers (names lower-case) and body. */
  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket = new Socket();
  private final InputStream in;

  /**
   * @param port the node's port on 127.0.0.1
   * @param receiveBufferBytes the socket's receive buffer, set before connecting (small: the
   *     node's answers back up sooner when the test does not read)
   */
  RawHttp(int port, int receiveBufferBytes) throws IOException {
    socket.setReceiveBufferSize(receiveBufferBytes);
    socket.setSoTimeout((int) TestSocket.PATIENT_TIMEOUT_MS);
    socket.connect(new InetSocketAddress("127.0.0.1", port), (int) TestSocket.TIMEOUT_MS);
    in = socket.getInputStream();
  }

  /** @param port the node's port on 127.0.0.1 */
  RawHttp(int port) throws IOException {
    this(port, 64 * 1024);
  }

  /**
   * @param method e.g. {@code GET}
   * @param target the request target as sent, e.g. {@code /foo/../tree/a}
   * @param headers header lines after the request line, each ending in CRLF; no {@code Host} is added
   * @return the request's bytes as text
   */
  static String request(String method, String target, String headers) {
    return method + " " + target + " HTTP/1.1\r\n" + headers + "\r\n";
  }

  /** Sends text as it is. */
  RawHttp send(String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    socket.getOutputStream().flush();
    return this;
  }

  /** Reads the next answer: a body of {@code Content-Length} bytes, chunks, or none for HEAD. */
  Response read(boolean head) throws IOException {
    String statusLine = line();
    if (!statusLine.startsWith("HTTP/")) {
      throw new IOException("not an HTTP/1 status line: " + statusLine);
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new HashMap<>();
    for (String line = line(); !line.isEmpty(); line = line()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
          line.substring(colon + 1).trim());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (head || status == 101) {
      return new Response(status, headers, "");
    }
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      for (int size = Integer.parseInt(line().trim(), 16); size > 0;
          size = Integer.parseInt(line().trim(), 16)) {
        body.write(in.readNBytes(size));
        line();
      }
      line();
    } else {
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] bytes = in.readNBytes(length);
      if (bytes.length < length) {
        throw new EOFException("the body ended after " + bytes.length + " of " + length + " bytes");
      }
      body.write(bytes);
    }
    return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
  }

  /** Reads the next answer to a request that is not HEAD. */
  Response read() throws IOException {
    return read(false);
  }

  /** Sends one request and reads its answer. */
  Response exchange(String request) throws IOException {
    return send(request).read(request.startsWith("HEAD "));
  }

  /**
   * Reads and discards until the node closes the connection.
   *
   * @return the number of bytes read
   */
  long readToEnd() throws IOException {
    long total = 0;
    byte[] buffer = new byte[64 * 1024];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      total += n;
    }
    return total;
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new EOFException("the connection closed mid-line: " + line);
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
