package dev.kora.cli;

import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/** A minimal protocol client for the CLI: calls over one WebSocket, replies matched by key. */
final class RemoteNode {

  private final WebSocketClient client;
  private final WebSocket socket;
  private final Map<Long, Promise<Object>> pending = new HashMap<>();
  private long nextKey;

  private RemoteNode(WebSocketClient client, WebSocket socket) {
    this.client = client;
    this.socket = socket;
    socket.textMessageHandler(text -> {
      JsonObject frame = new JsonObject(text);
      Promise<Object> promise = pending.remove(frame.getLong("key", -1L));
      if (promise == null) {
        return;
      }
      if ("reply".equals(frame.getString("type"))) {
        promise.complete(frame.getValue("body"));
      } else {
        JsonObject body = frame.getJsonObject("body", new JsonObject());
        promise.fail(new KoraException(body.getString("code", "internal"),
            body.getString("message", "")));
      }
    });
  }

  /**
   * @param vertx the Vert.x instance
   * @param url e.g. {@code ws://127.0.0.1:12000/socket}
   * @return the connected client
   */
  static Future<RemoteNode> connect(Vertx vertx, String url) {
    URI uri = URI.create(url);
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(uri.getHost()).setPort(uri.getPort() < 0 ? 80 : uri.getPort())
        .setURI(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/socket"
            : uri.getRawPath())
        .setSsl("wss".equals(uri.getScheme()));
    // Keep a strong reference: Vert.x closes clients that become unreachable.
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
        .setMaxFrameSize(64 * 1024 * 1024).setMaxMessageSize(256 * 1024 * 1024));
    return client.connect(options).map(socket -> new RemoteNode(client, socket));
  }

  /**
   * @param action e.g. {@code kora.query}
   * @param body the body
   * @return the reply body, or a failure carrying the error frame's code and message
   */
  Future<Object> call(String action, Object body) {
    long key = ++nextKey;
    Promise<Object> promise = Promise.promise();
    pending.put(key, promise);
    socket.writeTextMessage(new JsonObject().put("type", "call").put("key", key)
        .put("action", action).put("body", body).encode());
    return promise.future();
  }

  Future<Void> close() {
    return socket.close().eventually(client::close);
  }
}
