package dev.kora.cli;

import dev.kora.client.connection.KoraConnection;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemTrustOptions;
import picocli.CommandLine.Option;

/**
 * The {@code --url}, {@code --token} and {@code --tls-trust} options of commands that talk to a
 * running node, and the call they make.
 */
final class NodeAddress {

  @Option(names = "--url", defaultValue = "ws://127.0.0.1:12000/socket",
      description = "The node (default: ${DEFAULT-VALUE}); kora export reads a running node"
          + " only when --url is given.")
  String url;

  @Option(names = "--token", defaultValue = "${env:KORA_TOKEN}", paramLabel = "TOKEN",
      description = "Token for a node that authenticates, sent as 'Authorization: Bearer'"
          + " (default: the KORA_TOKEN environment variable).")
  String token;

  @Option(names = "--tls-trust", paramLabel = "FILE",
      description = "PEM certificate(s) to trust for a wss:// node, besides the JVM's CAs.")
  String trust;

  /**
   * Connects to the node with kora-client's {@link KoraConnection}, makes one call and disconnects.
   * Blocks.
   *
   * @param action e.g. {@code kora.query}
   * @param body the body
   * @return the reply body
   * @throws dev.kora.tree.KoraException with the error frame's code when the node refused the call,
   *     or as {@link #connect} when it could not be reached
   */
  Object call(String action, Object body) {
    Vertx vertx = Vertx.vertx();
    try {
      KoraConnection remote = connect(vertx);
      Object reply = remote.call(action, body).await();
      remote.close().await();
      return reply;
    } finally {
      vertx.close().await();
    }
  }

  /**
   * Opens a connection to the node, with the token and trusted certificates given. Blocks; call it
   * from a thread that is not an event loop.
   *
   * @param vertx the Vert.x instance the connection runs on
   * @return the open connection; it accepts messages of up to 256 MiB (a large answer comes in one)
   * @throws KoraException {@code unauthenticated} (HTTP 401: no or a bad token), {@code denied}
   *     (another refusal of the handshake) or {@code disconnected} (nothing answers at the URL)
   */
  KoraConnection connect(Vertx vertx) {
    WebSocketConnectOptions target;
    try {
      target = KoraConnection.target(url);
    } catch (IllegalArgumentException e) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, e.getMessage());
    }
    if (token != null && !token.isBlank()) {
      target.putHeader("Authorization", "Bearer " + token.trim());
    }
    WebSocketClientOptions options = new WebSocketClientOptions()
        .setMaxFrameSize(64 * 1024 * 1024).setMaxMessageSize(256 * 1024 * 1024);
    if (trust != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(trust));
    }
    try {
      return KoraConnection.connect(vertx, target, options).await();
    } catch (UpgradeRejectedException e) {
      throw new KoraException(e.getStatus() == 401 ? ErrorCode.UNAUTHENTICATED
          : ErrorCode.DENIED, "the node refused the connection (HTTP " + e.getStatus() + ")"
          + (e.getStatus() == 401 ? ": give a valid --token (or KORA_TOKEN)" : ""));
    } catch (KoraException e) {
      throw e;
    } catch (Exception e) { // Vert.x's await() rethrows a ConnectException as it is
      throw new KoraException(KoraConnection.DISCONNECTED, "cannot reach the node at " + url + ": "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
  }
}
