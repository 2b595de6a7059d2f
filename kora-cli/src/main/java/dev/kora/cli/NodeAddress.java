package dev.kora.cli;

import dev.kora.client.connection.KoraConnection;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClientOptions;
import picocli.CommandLine.Option;

/** The {@code --url} option of commands that talk to a running node, and the call they make. */
final class NodeAddress {

  @Option(names = "--url", defaultValue = "ws://127.0.0.1:12000/socket",
      description = "The node (default: ${DEFAULT-VALUE}).")
  String url;

  /**
   * Connects to the node with kora-client's {@link KoraConnection}, makes one call and disconnects.
   * Blocks.
   *
   * @param action e.g. {@code kora.query}
   * @param body the body
   * @return the reply body
   * @throws dev.kora.tree.KoraException with the error frame's code when the node refused the call
   */
  Object call(String action, Object body) {
    Vertx vertx = Vertx.vertx();
    try {
      // Large answers (a whole subtree) come in one message: accept more than a client's default.
      KoraConnection remote = KoraConnection.connect(vertx, KoraConnection.target(url),
          new WebSocketClientOptions().setMaxFrameSize(64 * 1024 * 1024)
              .setMaxMessageSize(256 * 1024 * 1024)).await();
      Object reply = remote.call(action, body).await();
      remote.close().await();
      return reply;
    } finally {
      vertx.close().await();
    }
  }
}
