package dev.kora.client.connection;

import dev.kora.protocol.Frame;
import dev.kora.protocol.FrameCodec;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One WebSocket connection to a node speaking the protocol of docs/protocol.md: calls matched to their
 * answers by key, casts (the node's pushes) handed to a handler. The one protocol client of the project:
 * {@link dev.kora.client.KoraClient} builds on it, and so do the CLI, the load tool and the test kit.
 *
 * <p>Thread-safe: calls may be made from any thread; handlers run on the context the connection was
 * made on. When the socket closes, every unanswered call fails with {@link #DISCONNECTED}: whether
 * the node received it is unknown.
 */
public final class KoraConnection {

  /** The code of a call that failed because the socket closed before its answer came. */
  public static final String DISCONNECTED = "disconnected";

  /** Frame and message sizes the client accepts: what a node may send with default limits. */
  public static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;

  // Strong reference: Vert.x 5 closes WebSocket clients that become unreachable.
  private final WebSocketClient client;
  private final WebSocket socket;
  private final Map<Object, Promise<String>> pending = new ConcurrentHashMap<>();
  private final AtomicLong keys = new AtomicLong();
  private volatile Handler<Frame.Cast> pushHandler = cast -> { };
  private volatile Handler<String> unsolicitedHandler = text -> { };
  private volatile Handler<String> textHandler;
  private final List<Handler<Short>> closeHandlers = new ArrayList<>();
  private final Promise<Short> closed = Promise.promise();

  private KoraConnection(WebSocketClient client, WebSocket socket) {
    this.client = client;
    this.socket = socket;
    socket.textMessageHandler(this::onText);
    socket.binaryMessageHandler(bytes -> onText("{\"type\":\"binary-from-server\"}"));
    socket.exceptionHandler(failure -> { });
    socket.closeHandler(v -> onClosed());
  }

  /**
   * Parses a node address.
   *
   * @param url {@code ws://host:port/socket} or {@code wss://...}; the path defaults to
   *     {@code /socket}, the port to 80 (ws) or 443 (wss)
   * @return the options to connect there
   * @throws IllegalArgumentException for text that is not a URL, another scheme, a URL without a
   *     host, or a port above 65535; the message shows the expected shape and the URL given
   */
  public static WebSocketConnectOptions target(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(shape(url) + " (" + e.getReason() + " at index "
          + e.getIndex() + ")", e);
    }
    String scheme = uri.getScheme();
    if (!"ws".equals(scheme) && !"wss".equals(scheme) || uri.getHost() == null) {
      throw new IllegalArgumentException(shape(url));
    }
    if (uri.getPort() > 65_535) {
      throw new IllegalArgumentException(shape(url) + " (port " + uri.getPort()
          + " is above 65535)");
    }
    boolean secure = "wss".equals(scheme);
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/socket"
        : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    return new WebSocketConnectOptions().setHost(uri.getHost())
        .setPort(uri.getPort() >= 0 ? uri.getPort() : secure ? 443 : 80).setURI(path)
        .setSsl(secure);
  }

  private static String shape(String url) {
    return "a node URL looks like ws://127.0.0.1:12000/socket, got '" + url + "'";
  }

  /** @return client options that accept what a node may send with default limits */
  public static WebSocketClientOptions defaultClientOptions() {
    return new WebSocketClientOptions().setMaxFrameSize(MAX_FRAME_BYTES)
        .setMaxMessageSize(4 * MAX_FRAME_BYTES);
  }

  /**
   * @param vertx the Vert.x instance
   * @param url the node, e.g. {@code ws://127.0.0.1:12000/socket}
   * @return the open connection
   */
  public static Future<KoraConnection> connect(Vertx vertx, String url) {
    return connect(vertx, target(url), defaultClientOptions());
  }

  /**
   * @param vertx the Vert.x instance
   * @param target where and how to connect (headers such as {@code Authorization} included)
   * @param options WebSocket client options
   * @return the open connection, or the failure of the handshake
   */
  public static Future<KoraConnection> connect(Vertx vertx, WebSocketConnectOptions target,
      WebSocketClientOptions options) {
    WebSocketClient client = vertx.createWebSocketClient(options);
    return client.connect(target).map(socket -> new KoraConnection(client, socket))
        .onFailure(failure -> client.close());
  }

  /**
   * Speaks the protocol over a WebSocket opened elsewhere (a load tool that opens thousands of
   * sockets its own way); takes over its text, close and exception handlers.
   *
   * @param socket an open WebSocket to a node's {@code /socket}
   * @return the connection; {@link #close()} closes the socket only
   */
  public static KoraConnection over(WebSocket socket) {
    return new KoraConnection(null, socket);
  }

  /** @return a key no other call of this connection used */
  public long nextKey() {
    return keys.incrementAndGet();
  }

  /**
   * Sends a call and waits for the node's answer.
   *
   * @param action e.g. {@code kora.query}
   * @param body the body: a JsonObject, JsonArray, String, Number, Boolean or null
   * @return the reply's body; fails with a {@link KoraException} carrying the error frame's code and
   *     message, or {@code disconnected} when the socket closes first
   */
  public Future<Object> call(String action, Object body) {
    long key = nextKey();
    return callText(key, FrameCodec.encode(new Frame.Call(key, action, body))).compose(text -> {
      Frame frame = FrameCodec.decodeAnswer(text);
      if (frame instanceof Frame.Reply reply) {
        return Future.succeededFuture(reply.body());
      }
      Frame.Error error = (Frame.Error) frame;
      return Future.failedFuture(new KoraException(error.code(), error.message()));
    });
  }

  /**
   * Sends a call and returns the answering frame as text, for callers that read only part of it
   * (a write's version) without parsing the whole.
   *
   * @param action the action
   * @param body the body, encoded with the protocol's streaming codec
   * @return the answering frame's text (a reply or an error), as received
   */
  public Future<String> callForText(String action, Object body) {
    long key = nextKey();
    return callText(key, FrameCodec.encode(new Frame.Call(key, action, body)));
  }

  /**
   * Sends a call whose body is already JSON text, e.g. {@code {"merge":{"a":1}}}.
   *
   * @param action the action
   * @param bodyJson the body's JSON text
   * @return the answering frame's text (a reply or an error), as received
   */
  public Future<String> callText(String action, String bodyJson) {
    long key = nextKey();
    return callText(key, "{\"type\":\"call\",\"key\":" + key + ",\"action\":\"" + action
        + "\",\"body\":" + bodyJson + "}");
  }

  /**
   * Sends a frame the caller wrote and waits for the frame answering its key.
   *
   * @param key the frame's key: a Long (or other whole number) or a String
   * @param frameText the whole frame's text
   * @return the answering frame's text; fails with {@code disconnected} when the socket closes first
   */
  public Future<String> callText(Object key, String frameText) {
    Promise<String> promise = Promise.promise();
    Object id = keyId(key);
    if (pending.putIfAbsent(id, promise) != null) {
      return Future.failedFuture(new IllegalArgumentException("key " + key + " is in use"));
    }
    if (socket.isClosed()) {
      pending.remove(id);
      return Future.failedFuture(disconnected());
    }
    socket.writeTextMessage(frameText).onFailure(failure -> {
      Promise<String> waiting = pending.remove(id);
      if (waiting != null) {
        waiting.tryFail(disconnected());
      }
    });
    return promise.future();
  }

  /**
   * Sends a cast: no answer comes.
   *
   * @param action the action
   * @param body the body
   * @return completes once written to the socket
   */
  public Future<Void> cast(String action, Object body) {
    return socket.writeTextMessage(FrameCodec.encode(new Frame.Cast(action, body)));
  }

  /** Writes text as it is, e.g. a malformed frame in a test. */
  public Future<Void> writeText(String text) {
    return socket.writeTextMessage(text);
  }

  /** Writes a binary message (which the node refuses), for tests. */
  public Future<Void> writeBinary(Buffer bytes) {
    return socket.writeBinaryMessage(bytes);
  }

  /**
   * @param handler gets each cast the node sends (pushes), parsed, on the connection's context
   * @return this
   */
  public KoraConnection pushHandler(Handler<Frame.Cast> handler) {
    this.pushHandler = handler;
    return this;
  }

  /**
   * @param handler gets the text of each frame that answers no call of this connection: casts, and
   *     errors whose key is null or unknown
   * @return this
   */
  public KoraConnection unsolicitedHandler(Handler<String> handler) {
    this.unsolicitedHandler = handler;
    return this;
  }

  /**
   * @param handler gets the text of every frame received, before it is matched (a test's log)
   * @return this
   */
  public KoraConnection textHandler(Handler<String> handler) {
    this.textHandler = handler;
    return this;
  }

  /**
   * @param handler called once when the socket closes, with the close frame's status (1006 when the
   *     connection dropped without one)
   * @return this
   */
  public KoraConnection closeHandler(Handler<Short> handler) {
    synchronized (closeHandlers) {
      closeHandlers.add(handler);
    }
    return this;
  }

  /** @return completes with the close status once the socket is closed */
  public Future<Short> closed() {
    return closed.future();
  }

  /** @return whether the socket is closed */
  public boolean isClosed() {
    return socket.isClosed();
  }

  /** Stops reading the socket (the node's frames wait in TCP buffers). */
  public void pause() {
    socket.pause();
  }

  /** Reads the socket again after {@link #pause}. */
  public void resume() {
    socket.resume();
  }

  /** @return closes the socket (status 1000) and its client */
  public Future<Void> close() {
    return client == null ? socket.close() : socket.close().eventually(client::close);
  }

  private void onText(String text) {
    Handler<String> observer = textHandler;
    if (observer != null) {
      observer.handle(text);
    }
    Object key = quickKey(text);
    if (key == null && !text.startsWith("{\"type\":\"cast\"")) {
      key = parsedKey(text);
    }
    Promise<String> promise = key == null ? null : pending.remove(keyId(key));
    if (promise != null) {
      promise.tryComplete(text);
      return;
    }
    unsolicitedHandler.handle(text);
    if (text.contains("\"cast\"")) {
      Frame frame;
      try {
        frame = FrameCodec.decodeAnswer(text);
      } catch (KoraException notAFrame) {
        return;
      }
      if (frame instanceof Frame.Cast cast) {
        pushHandler.handle(cast);
      }
    }
  }

  private void onClosed() {
    Short status = socket.closeStatusCode();
    short code = status == null ? 1006 : status;
    for (Object id : List.copyOf(pending.keySet())) {
      Promise<String> waiting = pending.remove(id);
      if (waiting != null) {
        waiting.tryFail(disconnected());
      }
    }
    List<Handler<Short>> handlers;
    synchronized (closeHandlers) {
      handlers = List.copyOf(closeHandlers);
    }
    closed.tryComplete(code);
    for (Handler<Short> handler : handlers) {
      handler.handle(code);
    }
  }

  private static KoraException disconnected() {
    return new KoraException(DISCONNECTED,
        "the connection closed before the node answered; the call may or may not have been applied");
  }

  /** A numeric key of a reply or error at the head of a frame the node wrote, or null. */
  private static Object quickKey(String text) {
    int at = text.indexOf("\"key\":");
    if (at < 0 || at > 40) {
      return null;
    }
    int start = at + 6;
    long key = 0;
    int i = start;
    while (i < text.length() && i - start < 18 && Character.isDigit(text.charAt(i))) {
      key = key * 10 + (text.charAt(i) - '0');
      i++;
    }
    return i > start && i < text.length() && text.charAt(i) == ',' ? (Object) key : null;
  }

  private static Object parsedKey(String text) {
    try {
      Object parsed = FrameCodec.parse(text);
      return parsed instanceof JsonObject frame ? frame.getValue("key") : null;
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  private static Object keyId(Object key) {
    return key instanceof Number number ? (Object) number.longValue() : "s:" + key;
  }
}
