package dev.kora.node.impl.http;

import dev.kora.node.core.NodeCore;
import dev.kora.node.impl.rest.RestApi;
import dev.kora.node.impl.socket.SocketEndpoint;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

/**
 * The node's one HTTP port: WebSocket upgrades on {@code /socket} go to the {@link SocketEndpoint},
 * every other request to the REST/SSE routes ({@link RestApi}); an upgrade anywhere else is accepted
 * and closed with status 1008 and a message naming {@code /socket}. Runs on the node's context.
 */
public final class HttpFront {

  private static final System.Logger LOG = System.getLogger(HttpFront.class.getName());

  private final Vertx vertx;
  private final NodeCore node;
  private final int maxFrameBytes;
  private final long maxBacklogBytes;
  private HttpServer server;

  /**
   * @param vertx the Vert.x instance
   * @param node the node
   * @param maxFrameBytes the largest WebSocket message and REST body accepted, in bytes
   * @param maxBacklogBytes the most bytes waiting to be sent to one WebSocket before it is closed
   */
  public HttpFront(Vertx vertx, NodeCore node, int maxFrameBytes, long maxBacklogBytes) {
    this.vertx = vertx;
    this.node = node;
    this.maxFrameBytes = maxFrameBytes;
    this.maxBacklogBytes = maxBacklogBytes;
  }

  /**
   * Starts listening; call on the node's context.
   *
   * @param host the address to bind, e.g. {@code 127.0.0.1}
   * @param port the port, 0 for a free one
   * @param describeStore the store, for the log line
   * @return completes once listening; fails when the port cannot be bound
   */
  public Future<Void> listen(String host, int port, String describeStore) {
    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        // SocketEndpoint negotiates no WebSocket extensions; Vert.x's extension handler would accept
        // per-message compression in the handshake response behind its back.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // Every HTTP request and WebSocket of the node is served on the node's event loop, so Vert.x
        // may skip the thread-safe outbound queue of each HTTP connection (a 1,024-slot array per
        // connection, which an upgraded WebSocket connection keeps referenced).
        .setStrictThreadMode(true);
    Router router = Router.router(vertx);
    new RestApi(node, maxFrameBytes).mount(router);
    SocketEndpoint socket = new SocketEndpoint(node, maxFrameBytes, maxBacklogBytes);
    server = vertx.createHttpServer(serverOptions)
        .requestHandler(request -> {
          if (SocketEndpoint.isUpgrade(request)) {
            socket.accept(request);
          } else if (request.canUpgradeToWebSocket()) {
            request.toWebSocket().onSuccess(webSocket -> webSocket.close((short) 1008,
                "no WebSocket endpoint at " + webSocket.path() + "; use " + SocketEndpoint.PATH));
          } else {
            router.handle(request);
          }
        });
    return server.listen().onSuccess(s -> LOG.log(System.Logger.Level.INFO,
        "Kora node listening on ws://" + host + ":" + s.actualPort() + SocketEndpoint.PATH
            + ", store " + describeStore)).mapEmpty();
  }

  /** @return the bound port, or -1 before {@link #listen} succeeded */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /** @return completes once the server is closed */
  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
