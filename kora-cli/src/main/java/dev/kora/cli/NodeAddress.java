package dev.kora.cli;

import dev.kora.client.connection.KoraConnection;
import dev.kora.client.connection.NodeUrls;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import picocli.CommandLine.Option;

/**
 * The {@code --url}, {@code --token} and {@code --tls-trust} options of commands that talk to a
 * running node, and the call they make. {@code --url} takes one node or several nodes of a cluster
 * separated by commas; this is the one place that parses it (kora-client's {@link NodeUrls}) and
 * picks the node: the first, in the order given, that accepts the connection.
 */
final class NodeAddress {

  @Option(names = "--url", defaultValue = "ws://127.0.0.1:12000/socket", paramLabel = "URL[,URL...]",
      description = "The node (default: ${DEFAULT-VALUE}), or several nodes of a cluster separated"
          + " by commas: they are tried in order and the first that accepts the connection is"
          + " used. kora export reads a running node only when --url is given.")
  String url;

  @Option(names = "--token", defaultValue = "${env:KORA_TOKEN}", paramLabel = "TOKEN",
      description = "Token for a node that authenticates, sent as 'Authorization: Bearer'"
          + " (default: the KORA_TOKEN environment variable).")
  String token;

  @Option(names = "--tls-trust", paramLabel = "FILE",
      description = "PEM certificate(s) to trust for a wss:// node, besides the JVM's CAs.")
  String trust;

  /**
   * An open connection and the node URL it reached.
   *
   * @param url one of {@code --url}'s URLs
   * @param connection the open connection
   */
  record Opened(String url, KoraConnection connection) {
  }

  /**
   * Connects to the first node of {@code --url} that accepts, makes one call there and
   * disconnects. The call is never sent to a second node (a write would run twice). Blocks.
   *
   * @param action e.g. {@code kora.query}
   * @param body the body
   * @return the reply body
   * @throws dev.kora.tree.KoraException with the error frame's code when the node refused the call,
   *     or as {@link #connect} when no node could be reached
   */
  Object call(String action, Object body) {
    Vertx vertx = Vertx.vertx();
    try {
      KoraConnection remote = connect(vertx).connection();
      Object reply = remote.call(action, body).await();
      remote.close().await();
      return reply;
    } finally {
      vertx.close().await();
    }
  }

  /**
   * Opens a connection to the first node of {@code --url}, in the order given, that accepts it,
   * with the token and trusted certificates given. A node that cannot be reached or refuses the
   * handshake is passed over. Blocks; call it from a thread that is not an event loop.
   *
   * @param vertx the Vert.x instance the connection runs on
   * @return the open connection and its URL; the connection accepts messages of up to 256 MiB (a
   *     large answer comes in one)
   * @throws KoraException {@code invalid_message} for a {@code --url} that is not a list of node
   *     URLs; when every node failed: with one URL its failure, {@code unauthenticated} (HTTP 401:
   *     no or a bad token), {@code denied} (another refusal of the handshake) or
   *     {@code disconnected} (nothing answers at the URL); with several, one line naming each
   *     URL's failure, coded as the first refusal (a node answered) or else {@code disconnected}
   */
  Opened connect(Vertx vertx) {
    List<String> urls;
    try {
      urls = NodeUrls.parse(url);
    } catch (IllegalArgumentException e) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, "--url: " + e.getMessage());
    }
    WebSocketClientOptions options = new WebSocketClientOptions()
        .setMaxFrameSize(64 * 1024 * 1024).setMaxMessageSize(256 * 1024 * 1024);
    if (trust != null) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(trust));
    }
    List<KoraException> failures = new ArrayList<>();
    for (String node : urls) {
      try {
        return new Opened(node, connect(vertx, node, options));
      } catch (KoraException failure) {
        failures.add(failure);
      }
    }
    if (failures.size() == 1) {
      throw failures.get(0);
    }
    String code = KoraConnection.DISCONNECTED;
    StringJoiner each = new StringJoiner("; ");
    for (KoraException failure : failures) {
      if (code.equals(KoraConnection.DISCONNECTED)) {
        code = failure.code();
      }
      each.add(failure.getMessage());
    }
    throw new KoraException(code, "none of the " + urls.size() + " nodes of --url accepted the"
        + " connection: " + each);
  }

  /** Opens a connection to one node; its failure names the URL. */
  private KoraConnection connect(Vertx vertx, String node, WebSocketClientOptions options) {
    WebSocketConnectOptions target = KoraConnection.target(node); // checked by NodeUrls.parse
    if (token != null && !token.isBlank()) {
      target.putHeader("Authorization", "Bearer " + token.trim());
    }
    try {
      return KoraConnection.connect(vertx, target, options).await();
    } catch (UpgradeRejectedException e) {
      throw new KoraException(e.getStatus() == 401 ? ErrorCode.UNAUTHENTICATED
          : ErrorCode.DENIED, "the node at " + node + " refused the connection (HTTP "
          + e.getStatus() + ")"
          + (e.getStatus() == 401 ? ": give a valid --token (or KORA_TOKEN)" : ""));
    } catch (KoraException e) {
      throw e;
    } catch (Exception e) { // Vert.x's await() rethrows a ConnectException as it is
      throw new KoraException(KoraConnection.DISCONNECTED, "cannot reach the node at " + node
          + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    }
  }
}
