package dev.kora.examples;

import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * A client of the WebSocket protocol over a real socket, for the examples' end-to-end tests: calls
 * matched to replies by key, pushes (casts) queued in arrival order, every wait bounded by
 * {@link #TIMEOUT_MS}. Thread-safe: the socket's handlers run on the context that connected it, test
 * code anywhere.
 */
public final class WsClient {

  /** How long any awaited frame may take. Generous: password hashing is deliberately slow. */
  public static final long TIMEOUT_MS = 15_000;

  private final Vertx vertx;
  // A strong reference: Vert.x 5 closes WebSocket clients that become unreachable.
  private final WebSocketClient client;
  private final WebSocket socket;
  private final Map<Long, Promise<JsonObject>> pending = new HashMap<>();
  private final ArrayDeque<JsonObject> casts = new ArrayDeque<>();
  private final ArrayDeque<Promise<JsonObject>> waiters = new ArrayDeque<>();
  private long nextKey;

  private WsClient(Vertx vertx, WebSocketClient client, WebSocket socket) {
    this.vertx = vertx;
    this.client = client;
    this.socket = socket;
    socket.textMessageHandler(this::onText);
    socket.exceptionHandler(e -> { });
  }

  /**
   * @param vertx the Vert.x instance
   * @param port the node's port
   * @return a client connected to {@code ws://127.0.0.1:port/socket}
   */
  public static Future<WsClient> connect(Vertx vertx, int port) {
    // Replies of whole subtrees can be large: accept what the node may send (16 MiB frames).
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(16 * 1024 * 1024).setMaxMessageSize(64 * 1024 * 1024));
    return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/socket")).map(socket -> new WsClient(vertx, client, socket));
  }

  private void onText(String text) {
    JsonObject frame = new JsonObject(text);
    Promise<JsonObject> target;
    synchronized (this) {
      Object key = frame.getValue("key");
      target = key instanceof Number number ? pending.remove(number.longValue()) : null;
      if (target == null) {
        target = waiters.poll();
        if (target == null) {
          casts.add(frame);
          return;
        }
      }
    }
    target.tryComplete(frame);
  }

  /**
   * @param action e.g. {@code kora.mutation} or {@code todo.login}
   * @param body the body
   * @return the frame answering the call: a {@code reply} or an {@code error}
   */
  public Future<JsonObject> call(String action, Object body) {
    Promise<JsonObject> promise = Promise.promise();
    long key;
    synchronized (this) {
      key = ++nextKey;
      pending.put(key, promise);
    }
    socket.writeTextMessage(new JsonObject().put("type", "call").put("key", key)
        .put("action", action).put("body", body).encode());
    return bounded(promise, "the answer to " + action + " " + body);
  }

  /** @return the reply body; fails with a {@link KoraException} carrying the error frame's code */
  public Future<Object> request(String action, Object body) {
    return call(action, body).compose(frame -> {
      if ("reply".equals(frame.getString("type"))) {
        return Future.succeededFuture(frame.getValue("body"));
      }
      JsonObject error = frame.getJsonObject("body", new JsonObject());
      return Future.failedFuture(new KoraException(error.getString("code", "?"),
          error.getString("message", frame.encode())));
    });
  }

  /**
   * @param code the expected error code
   * @return the error's message; fails if the call was answered otherwise
   */
  public Future<String> refused(String action, Object body, String code) {
    return call(action, body).compose(frame -> {
      JsonObject error = frame.getJsonObject("body");
      if ("error".equals(frame.getString("type")) && error != null
          && code.equals(error.getString("code"))) {
        return Future.succeededFuture(error.getString("message"));
      }
      return Future.failedFuture(new AssertionError(action + " " + body + ": expected error '"
          + code + "', got " + frame.encode()));
    });
  }

  /** @return writes a mutation and checks the answer is {@code "ok"} */
  public Future<Void> mutate(JsonObject mutation) {
    return request("kora.mutation", mutation).compose(body -> "ok".equals(body)
        ? Future.succeededFuture()
        : Future.failedFuture(new AssertionError("mutation answered " + body)));
  }

  /** @return the reply of {@code kora.query}: {@code {"merge": ..., "delete": ...}} */
  public Future<JsonObject> query(JsonObject query) {
    return request("kora.query", query).map(JsonObject.class::cast);
  }

  /** @return the next push (a cast), within the timeout */
  public Future<JsonObject> nextCast() {
    Promise<JsonObject> promise = Promise.promise();
    JsonObject ready;
    synchronized (this) {
      ready = casts.poll();
      if (ready == null) {
        waiters.add(promise);
      }
    }
    return ready != null ? Future.succeededFuture(ready) : bounded(promise, "a push");
  }

  /**
   * A ping round trip: once it returns, every frame the server sent before it has arrived (the node
   * answers a connection's frames in order on one context).
   *
   * @return the casts received and not yet taken
   */
  public Future<List<JsonObject>> drain() {
    return request("kora.ping", null).map(v -> {
      synchronized (this) {
        List<JsonObject> all = new ArrayList<>(casts);
        casts.clear();
        return all;
      }
    });
  }

  /** @return closes the socket and the client */
  public Future<Void> close() {
    return socket.close().eventually(client::close);
  }

  private <T> Future<T> bounded(Promise<T> promise, String what) {
    long timer = vertx.setTimer(TIMEOUT_MS, id -> {
      synchronized (this) {
        waiters.remove(promise);
      }
      promise.tryFail(new TimeoutException("no " + what + " within " + TIMEOUT_MS + " ms"));
    });
    return promise.future().onComplete(done -> vertx.cancelTimer(timer));
  }
}
