package dev.kora.cli;

import io.vertx.core.Vertx;
import picocli.CommandLine.Option;

/** The {@code --url} option of commands that talk to a running node, and the call they make. */
final class NodeAddress {

  @Option(names = "--url", defaultValue = "ws://127.0.0.1:12000/socket",
      description = "The node (default: ${DEFAULT-VALUE}).")
  String url;

  /**
   * Connects to the node, makes one call and disconnects. Blocks.
   *
   * @param action e.g. {@code kora.query}
   * @param body the body
   * @return the reply body
   * @throws dev.kora.tree.KoraException with the error frame's code when the node refused the call
   */
  Object call(String action, Object body) {
    Vertx vertx = Vertx.vertx();
    try {
      RemoteNode remote = RemoteNode.connect(vertx, url).await();
      Object reply = remote.call(action, body).await();
      remote.close().await();
      return reply;
    } finally {
      vertx.close().await();
    }
  }
}
