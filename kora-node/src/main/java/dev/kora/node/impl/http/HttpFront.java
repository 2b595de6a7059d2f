package dev.kora.node.impl.http;

import dev.kora.interceptors.Identity;
import dev.kora.node.core.AdminAccess;
import dev.kora.node.core.Authentication;
import dev.kora.node.core.NodeCore;
import dev.kora.node.impl.console.ConsoleRoutes;
import dev.kora.node.impl.rest.RestApi;
import dev.kora.node.impl.socket.SocketEndpoint;
import dev.kora.node.impl.socket.VertxInternals;
import dev.kora.protocol.Errors;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The node's one HTTP port: WebSocket upgrades on {@code /socket} go to the {@link SocketEndpoint},
 * every other request to the REST/SSE routes ({@link RestApi}), the operations routes
 * ({@link OperationsRoutes}) and the browser console ({@link ConsoleRoutes}, closed to all but
 * administrators, {@link AdminAccess}); an upgrade anywhere else is accepted
 * and closed with status 1008 and a message naming {@code /socket}. Runs on the node's context.
 *
 * <p>Every connection is counted against {@link Limits#maxConnectionsPerAddress} when it is accepted
 * (beyond it: HTTP 503 {@code too_many_connections}, then closed) and must send the head of each
 * request within {@link Limits#requestHeaderTimeoutMs} ({@link RequestHeaderTimeout}). The server
 * speaks HTTP/1.1 only (no cleartext HTTP/2): WebSockets need HTTP/1.1, and only then does Vert.x
 * hand each connection to the connection handler as soon as it is accepted, before its first byte.
 *
 * <p>Before either, every request passes the {@link RequestGuard} ({@code Host} and {@code Origin}
 * checks; a refusal is 403 {@code denied}).
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
  private final PemKeyCertOptions tls;
  private final NodeCore node;
  private final Limits limits;
  private final ConnectionCap connectionCap;
  /**
   * Gives a closed connection's place under the cap back: one listener for all connections, which
   * finds the address from the channel, so that no connection holds a lambda and an address string
   * of its own.
   */
  private final ChannelFutureListener releaseCap;
  private final RequestGuard guard;
  private final AdminAccess admins;
  private HttpServer server;

  /**
   * The limits of the HTTP port.
   *
   * @param requestHeaderTimeoutMs ms a client has to send a request's head
   * @param maxConnectionsPerAddress the most open connections of one client IP address
   * @param socket the limits of WebSocket connections; its {@code maxFrameBytes} is also the
   *     largest REST body accepted
   */
  public record Limits(long requestHeaderTimeoutMs, int maxConnectionsPerAddress,
      SocketEndpoint.Limits socket) {
  }

  /**
   * @param vertx the Vert.x instance
   * @param node the node
   * @param limits the limits of the port and its connections
   * @param listenHost the address the node listens on, for the {@code Host} check
   * @param allowedOrigins origins allowed besides the node's own ({@code *}: all)
   * @param allowedHosts host names allowed besides the loopback names ({@code *}: all)
   * @param tls the PEM certificate and key to serve TLS with, or null for plain TCP
   */
  public HttpFront(Vertx vertx, NodeCore node, Limits limits, String listenHost,
      List<String> allowedOrigins, List<String> allowedHosts, PemKeyCertOptions tls) {
    this.tls = tls;
    this.vertx = vertx;
    this.node = node;
    this.limits = limits;
    this.connectionCap = new ConnectionCap(limits.maxConnectionsPerAddress());
    this.releaseCap = closed -> connectionCap.release(SocketEndpoint.clientAddress(closed.channel()));
    this.guard = new RequestGuard(listenHost, allowedOrigins, allowedHosts);
    this.admins = AdminAccess.of(node.authentication());
  }

  /**
   * @return the random admin token of the console made at start on a node without authentication
   *     (it is in the start log line), or null on a node with authentication
   */
  public String adminToken() {
    return admins.adminToken();
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
        .setStrictThreadMode(true)
        // HTTP/1.1 only: with cleartext HTTP/2 on, Vert.x waits for a connection's first bytes
        // before it makes the connection object, so a client that sends nothing would escape the
        // connection cap and the request head timeout.
        .setHttp2ClearTextEnabled(false);
    if (tls != null) {
      // wss:// and https:// on the same port; HTTP/1.1 only, as without TLS (no ALPN for h2)
      serverOptions.setSsl(true).setKeyCertOptions(tls).setUseAlpn(false);
    }
    Router router = Router.router(vertx);
    RestApi rest = new RestApi(node, limits.socket().maxFrameBytes(),
        limits.socket().maxBacklogBytes());
    rest.mount(router);
    new OperationsRoutes(vertx, node, admins).mount(router);
    new ConsoleRoutes(node, admins, rest, limits.socket().maxFrameBytes()).mount(router);
    SocketEndpoint socket = new SocketEndpoint(node, limits.socket());
    server = vertx.createHttpServer(serverOptions)
        .connectionHandler(this::accepted)
        .requestHandler(request -> {
          KoraException refusal = guard.refusal(request);
          if (refusal != null) {
            refuse(request, refusal);
          } else if (SocketEndpoint.isUpgrade(request)) {
            acceptSocket(request, socket);
          } else if (request.canUpgradeToWebSocket()) {
            request.toWebSocket().onSuccess(webSocket -> webSocket.close((short) 1008,
                "no WebSocket endpoint at " + webSocket.path() + "; use " + SocketEndpoint.PATH));
          } else {
            serveInTurn(request, router);
          }
        });
    return server.listen().onSuccess(s -> LOG.log(System.Logger.Level.INFO,
        "Kora node listening on " + (tls == null ? "ws://" : "wss://") + host + ":" + s.actualPort() + SocketEndpoint.PATH
            + ", store " + describeStore + ", console " + consoleUrl(host, s.actualPort())))
        .mapEmpty();
  }

  /**
   * The console's address as the start line shows it: with the admin token in the fragment (which
   * browsers do not send to the server) on a node without authentication.
   */
  private String consoleUrl(String host, int port) {
    String bare = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    String url = (tls == null ? "http://" : "https://") + bare + ":" + port + ConsoleRoutes.PATH
        + "/";
    return admins.adminToken() == null ? url + " (a token with \"" + AdminAccess.ADMIN_CLAIM
        + "\": true)" : url + "#token=" + admins.adminToken();
  }

  /**
   * Answers a WebSocket upgrade: with a token in its {@code Authorization} header or
   * {@code access_token} parameter on a node that authenticates, only once the token verified
   * (the request is paused while an authenticator answers later); else at once, anonymous.
   */
  private void acceptSocket(HttpServerRequest request, SocketEndpoint socket) {
    Authentication authentication = node.authentication();
    String token = Authentication.token(request.getHeader("Authorization"),
        request.getParam("access_token"));
    if (token == null || !authentication.enabled()) {
      socket.accept(request, null);
      return;
    }
    Future<Identity> identity = authentication.authenticate(token);
    if (identity.isComplete()) {
      handshake(request, socket, identity);
      return;
    }
    request.pause();
    identity.onComplete(done -> {
      request.resume();
      handshake(request, socket, done);
    });
  }

  private void handshake(HttpServerRequest request, SocketEndpoint socket,
      AsyncResult<Identity> identity) {
    if (identity.succeeded()) {
      socket.accept(request, identity.result());
    } else {
      refuse(request, Errors.asKora(identity.cause()));
    }
  }

  /**
   * Answers a request with an error in Kora's JSON format and its HTTP status; a 401 also names the
   * scheme and the error as RFC 6750, section 3, asks.
   */
  static void refuse(HttpServerRequest request, KoraException refusal) {
    int status = Errors.httpStatus(refusal.code());
    HttpServerResponse response = request.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json");
    if (status == 401) {
      response.putHeader("WWW-Authenticate", Authentication.CHALLENGE);
    }
    response.end(Errors.toJson(refusal).encode());
  }

  /**
   * Routes a request once the answers before it on its connection have left the node down to the
   * bound: Vert.x hands over a pipelined request as soon as the answer before it is written, however
   * much of it still waits to be sent.
   */
  private void serveInTurn(HttpServerRequest request, Router router) {
    HttpServerResponse response = request.response();
    response.setWriteQueueMaxSize(
        (int) Math.min(Integer.MAX_VALUE, limits.socket().maxBacklogBytes()));
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

  /**
   * A connection was accepted (before it sent anything): counts it against the cap of its address,
   * or refuses it, and starts the clock of its first request's head.
   */
  private void accepted(HttpConnection connection) {
    ChannelHandlerContext handler = VertxInternals.channelHandlerContext(connection);
    if (handler == null) {
      return;
    }
    String address = SocketEndpoint.clientAddress(handler.channel());
    if (!connectionCap.admit(address)) {
      refuse(handler, address);
      return;
    }
    handler.channel().closeFuture().addListener(releaseCap);
    handler.pipeline().addBefore(handler.name(), RequestHeaderTimeout.NAME,
        new RequestHeaderTimeout(limits.requestHeaderTimeoutMs()));
  }

  /** Answers a connection over the cap with 503 {@code too_many_connections} and closes it. */
  private void refuse(ChannelHandlerContext handler, String address) {
    handler.channel().config().setAutoRead(false);
    String code = ErrorCode.TOO_MANY_CONNECTIONS;
    byte[] body = Errors.toJson(new KoraException(code, address + " has "
        + connectionCap.maxPerAddress() + " connections open, the most one address may have"))
        .encode().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(Errors.httpStatus(code)), Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    handler.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
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
