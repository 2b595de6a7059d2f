package dev.kora.node.impl.http;

import dev.kora.node.core.NodeCore;
import dev.kora.node.impl.rest.RestApi;
import dev.kora.node.impl.socket.SocketEndpoint;
import dev.kora.protocol.Errors;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import java.util.List;

/**
 * The node's one HTTP port: WebSocket upgrades on {@code /socket} go to the {@link SocketEndpoint},
 * every other request to the REST/SSE routes ({@link RestApi}); an upgrade anywhere else is accepted
 * and closed with status 1008 and a message naming {@code /socket}. Runs on the node's context.
 *
 * <p>Before either, every request passes the {@link RequestGuard} ({@code Host} and {@code Origin}
 * checks; a refusal is 403 {@code denied}). HTTP/1.1 only: HTTP/2 over cleartext (h2c) is off, since
 * nothing of Kora needs it and the WebSocket endpoint and the per-connection bound below are HTTP/1's.
 *
 * <p>Memory per HTTP connection is bounded by {@code maxBacklogBytes}: the connection's socket has that
 * as its write high-water mark ({@link HttpServerResponse#setWriteQueueMaxSize}), a pipelined request
 * that arrives while earlier answers still fill it waits ({@link HttpServerRequest#pause}) until the
 * client has read them ({@link HttpServerResponse#drainHandler}), and meanwhile Vert.x reads no further
 * request from the connection; SSE streams are closed when it is full ({@link RestApi}).
 */
public final class HttpFront {

  private static final System.Logger LOG = System.getLogger(HttpFront.class.getName());

  private final Vertx vertx;
  private final NodeCore node;
  private final int maxFrameBytes;
  private final long maxBacklogBytes;
  private final RequestGuard guard;
  private HttpServer server;

  /**
   * @param vertx the Vert.x instance
   * @param node the node
   * @param limits the node's limits: {@code maxFrameBytes} (the largest WebSocket message and REST
   *     body accepted) and {@code maxBacklogBytes} (the most bytes waiting to be sent to one
   *     connection) in bytes
   * @param listenHost the address the node listens on, for the {@code Host} check
   * @param allowedOrigins origins allowed besides the node's own ({@code *}: all)
   * @param allowedHosts host names allowed besides the loopback names ({@code *}: all)
   */
  public HttpFront(Vertx vertx, NodeCore node, Limits limits, String listenHost,
      List<String> allowedOrigins, List<String> allowedHosts) {
    this.vertx = vertx;
    this.node = node;
    this.maxFrameBytes = limits.maxFrameBytes();
    this.maxBacklogBytes = limits.maxBacklogBytes();
    this.guard = new RequestGuard(listenHost, allowedOrigins, allowedHosts);
  }

  /**
   * The limits of the HTTP front.
   *
   * @param maxFrameBytes the largest WebSocket message and REST body accepted, in bytes
   * @param maxBacklogBytes the most bytes waiting to be sent to one connection, in bytes
   */
  public record Limits(int maxFrameBytes, long maxBacklogBytes) {
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
        // Kora speaks HTTP/1.1; an h2c upgrade or prior-knowledge preface is not taken.
        .setHttp2ClearTextEnabled(false)
        // SocketEndpoint negotiates no WebSocket extensions; Vert.x's extension handler would accept
        // per-message compression in the handshake response behind its back.
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        // Every HTTP request and WebSocket of the node is served on the node's event loop, so Vert.x
        // may skip the thread-safe outbound queue of each HTTP connection (a 1,024-slot array per
        // connection, which an upgraded WebSocket connection keeps referenced).
        .setStrictThreadMode(true);
    Router router = Router.router(vertx);
    new RestApi(node, maxFrameBytes, maxBacklogBytes).mount(router);
    SocketEndpoint socket = new SocketEndpoint(node, maxFrameBytes, maxBacklogBytes);
    server = vertx.createHttpServer(serverOptions)
        .requestHandler(request -> {
          KoraException refusal = guard.refusal(request);
          if (refusal != null) {
            request.response().setStatusCode(Errors.httpStatus(refusal.code()))
                .putHeader("Content-Type", "application/json")
                .end(Errors.toJson(refusal).encode());
          } else if (SocketEndpoint.isUpgrade(request)) {
            socket.accept(request);
          } else if (request.canUpgradeToWebSocket()) {
            request.toWebSocket().onSuccess(webSocket -> webSocket.close((short) 1008,
                "no WebSocket endpoint at " + webSocket.path() + "; use " + SocketEndpoint.PATH));
          } else {
            serveInTurn(request, router);
          }
        });
    return server.listen().onSuccess(s -> LOG.log(System.Logger.Level.INFO,
        "Kora node listening on ws://" + host + ":" + s.actualPort() + SocketEndpoint.PATH
            + ", store " + describeStore)).mapEmpty();
  }

  /**
   * Routes a request once the answers before it on its connection have left the node down to the
   * bound: Vert.x hands over a pipelined request as soon as the answer before it is written, however
   * much of it still waits to be sent.
   */
  private void serveInTurn(HttpServerRequest request, Router router) {
    HttpServerResponse response = request.response();
    response.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxBacklogBytes));
    if (!response.writeQueueFull()) {
      router.handle(request);
      return;
    }
    request.pause();
    response.drainHandler(drained -> {
      response.drainHandler(null);
      router.handle(request);
      request.resume();
    });
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
