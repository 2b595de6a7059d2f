package dev.kora.cli;

import dev.kora.protocol.Frame;
import dev.kora.protocol.FrameCodec;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * A minimal protocol client for the CLI: calls over one WebSocket, replies matched by key, frames read
 * and written by kora-protocol's {@link FrameCodec}.
 */
final class RemoteNode {

  private final WebSocketClient client;
  private final WebSocket socket;
  private final Map<Long, Promise<Object>> pending = new HashMap<>();
  private long nextKey;

  private RemoteNode(WebSocketClient client, WebSocket socket) {
    this.client = client;
    this.socket = socket;
    socket.textMessageHandler(text -> {
      Frame frame;
      try {
        frame = FrameCodec.decodeAnswer(text);
      } catch (KoraException e) {
        return; // not an answer to a call of ours
      }
      if (frame instanceof Frame.Reply reply) {
        Promise<Object> promise = pending.remove(keyOf(reply.key()));
        if (promise != null) {
          promise.complete(reply.body());
        }
      } else if (frame instanceof Frame.Error error) {
        Promise<Object> promise = pending.remove(keyOf(error.key()));
        if (promise != null) {
          promise.fail(new KoraException(error.code(), error.message()));
        }
      }
    });
  }

  private static long keyOf(Object key) {
    return key instanceof Number number ? number.longValue() : -1;
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
    socket.writeTextMessage(FrameCodec.encode(new Frame.Call(key, action, body)));
    return promise.future();
  }

  Future<Void> close() {
    return socket.close().eventually(client::close);
  }
}
