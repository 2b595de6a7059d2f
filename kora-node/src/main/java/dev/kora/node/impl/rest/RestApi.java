package dev.kora.node.impl.rest;

import dev.kora.interceptors.Session;
import dev.kora.node.core.Authentication;
import dev.kora.node.core.Connection;
import dev.kora.node.core.NodeCore;
import dev.kora.node.core.RateLimits;
import dev.kora.node.core.RequestParsing;
import dev.kora.node.logging.RequestLog;
import dev.kora.protocol.Dialect;
import dev.kora.protocol.Errors;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.regex.Pattern;

/**
 * REST and server-sent events on {@code /tree/<path>} (docs/protocol.md): {@code GET} reads (with
 * {@code ?min=&max=&limit=}), {@code HEAD} answers as {@code GET} without the body, {@code PATCH}
 * merges the body, {@code PUT} replaces the subtree, {@code DELETE} deletes it, and {@code GET} with
 * {@code Accept: text/event-stream} streams the subtree's changes. Errors, a path outside
 * {@code /tree} (404) and another method (405) included, answer {@code {"code": ..., "message": ...}}
 * with a matching HTTP status.
 *
 * <p>The routes match exactly {@code /tree} and {@code /tree/...} of the normalized request path (dot
 * segments removed, RFC 3986), and the tree path is parsed from that same normalized path, so what is
 * routed is what is read or written.
 *
 * <p>An SSE stream whose client reads slower than pushes come is closed, and its subscription dropped,
 * when a push is due while more than {@code maxBacklogBytes} wait to be sent on its connection (the
 * connection's write high-water mark, set by the HTTP front). Runs on the node's context.
 */
public final class RestApi {

  /** Where clients find the tree. */
  public static final String TREE_PREFIX = "/tree";
  private static final String TREE_METHODS = "GET, HEAD, PATCH, PUT, DELETE";
  /** Where a {@link Gate} keeps a request's session in its routing context. */
  private static final String SESSION = "kora.session";
  /** The routing context's key of the failure a request was answered with, for its log line. */
  private static final String FAILURE = "kora.failure";
  /** The response header that carries the request's id. */
  public static final String REQUEST_ID_HEADER = "X-Request-Id";

  /**
   * Admits a request to the tree routes before they run: gives it its session with
   * {@link RestApi#admitted}, or answers it with {@link RestApi#fail}.
   */
  @FunctionalInterface
  public interface Gate {
    /** @param context the request, its body read */
    void admit(RoutingContext context);
  }

  private final NodeCore node;
  private final int maxBodyBytes;
  private final SseEvents events;
  /** The HTTP path the tree is served under, e.g. {@code /tree}. */
  private final String prefix;
  private final Gate gate;

  /**
   * @param node the node
   * @param maxBodyBytes the largest request body accepted, in bytes
   * @param maxBacklogBytes the most bytes waiting to be sent to one SSE stream before it is closed;
   *     the HTTP front sets it as the connection's write high-water mark, this class names it in the log
   */
  public RestApi(NodeCore node, int maxBodyBytes, long maxBacklogBytes) {
    this.node = node;
    this.maxBodyBytes = maxBodyBytes;
    this.events = new SseEvents(maxBacklogBytes);
    this.prefix = TREE_PREFIX;
    this.gate = this::authenticate;
  }

  /**
   * The same tree routes served under another prefix and admitted by another gate, e.g. the
   * console's {@code /console/api/tree}, open to administrators only; its errors are answered by
   * the handlers {@link #mount} adds.
   *
   * @param prefix the HTTP path of the tree, e.g. {@code /console/api/tree}
   * @param gate admits each request, and gives it its session
   * @return the routes there, sharing this one's limits and SSE events
   */
  public RestApi at(String prefix, Gate gate) {
    return new RestApi(this, prefix, gate);
  }

  private RestApi(RestApi api, String prefix, Gate gate) {
    this.node = api.node;
    this.maxBodyBytes = api.maxBodyBytes;
    this.events = api.events;
    this.prefix = prefix;
    this.gate = gate;
  }

  /** @return the SSE events of this node's streams (one encoding per pushed part) */
  public SseEvents events() {
    return events;
  }

  /**
   * Adds the tree routes, and the handlers that answer every error of the router in Kora's format.
   *
   * @param router where to add the routes
   */
  public void mount(Router router) {
    mountTree(router);
    mountErrors(router);
  }

  /**
   * Adds the tree routes only ({@code prefix} and every path under it), behind the gate.
   *
   * @param router where to add the routes
   */
  public void mountTree(Router router) {
    String tree = Pattern.quote(prefix) + "(/.*)?";
    router.routeWithRegex(tree).handler(this::logRequest);
    router.routeWithRegex(tree).handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.routeWithRegex(tree).handler(gate::admit);
    router.routeWithRegex(HttpMethod.GET, tree).handler(this::get);
    router.routeWithRegex(HttpMethod.HEAD, tree).handler(this::get);
    router.routeWithRegex(HttpMethod.PATCH, tree).handler(context -> write(context, false));
    router.routeWithRegex(HttpMethod.PUT, tree).handler(context -> write(context, true));
    router.routeWithRegex(HttpMethod.DELETE, tree).handler(context -> respond(context,
        node.mutate(Mutation.delete(path(context)), session(context)).map(version -> "ok")));
  }

  private void mountErrors(Router router) {
    // vertx-web itself answers 400 to a malformed percent escape in the path (%ZZ, a lone %), 404 to
    // a path no route takes and 405 to a method no route takes, before any route runs: answer them in
    // Kora's error format too.
    router.errorHandler(400, context -> fail(context, new KoraException(ErrorCode.INVALID_KEY,
        "malformed percent escape in the request path")));
    router.errorHandler(404, context -> fail(context, notFound(context)));
    router.errorHandler(405, context -> {
      context.response().putHeader("Allow", TREE_METHODS);
      fail(context, new KoraException(ErrorCode.METHOD_NOT_ALLOWED, context.request().method()
          + " is not a method of /tree; use " + TREE_METHODS));
    });
    router.route().failureHandler(context -> {
      Throwable failure = context.failure();
      if (context.statusCode() == 413) {
        fail(context, new KoraException(ErrorCode.TOO_LARGE, "request body exceeds "
            + maxBodyBytes + " bytes"));
      } else if (failure instanceof KoraException kora) {
        fail(context, kora);
      } else if (context.statusCode() == 404) {
        fail(context, notFound(context));
      } else {
        fail(context, Errors.asKora(failure));
      }
    });
  }

  /**
   * Gives the request its id (sent back as {@code X-Request-Id}) and logs its answer once the
   * response has ended ({@link RequestLog}).
   */
  private void logRequest(RoutingContext context) {
    long started = System.nanoTime();
    RequestLog log = node.requestLog();
    String requestId = log.nextRestId();
    HttpServerRequest request = context.request();
    String what = request.method() + " " + request.path();
    String connectionId = "http:" + request.remoteAddress();
    context.response().putHeader(REQUEST_ID_HEADER, requestId);
    context.addEndHandler(ended -> log.answered(requestId, connectionId, what, started,
        context.response().getStatusCode(), context.get(FAILURE)));
    context.next();
  }

  private static KoraException notFound(RoutingContext context) {
    return new KoraException(ErrorCode.NOT_FOUND, "nothing is served at " + context.normalizedPath()
        + "; the tree is at /tree/<path>, the WebSocket at /socket");
  }

  /**
   * Counts the request against its address's rate limits ({@code rate_limited}, 429, beyond them),
   * then gives it its session: each REST request and event stream is its own client session,
   * with the identity of the token in its {@code Authorization} header (an event stream may give it
   * as {@code access_token}, since a browser's EventSource cannot set headers). Refuses a token that
   * does not verify, and a request without one when the node requires one.
   */
  private void authenticate(RoutingContext context) {
    HttpServerRequest request = context.request();
    // a REST request counts against its address's rates (each request is its own connection)
    RateLimits.Meter meter = node.rateLimits().meter(request.remoteAddress().hostAddress());
    context.addEndHandler(ended -> meter.close());
    KoraException refused = meter.admit(request.method() != HttpMethod.GET
        && request.method() != HttpMethod.HEAD, context.body().length());
    if (refused != null) {
      fail(context, refused);
      return;
    }
    Session session = Session.client("http:" + request.remoteAddress(), request.headers());
    Authentication authentication = node.authentication();
    String token = Authentication.token(request.getHeader("Authorization"),
        isEventStream(request) ? request.getParam("access_token") : null);
    if (token == null || !authentication.enabled()) {
      if (authentication.tokenRequired()) {
        fail(context, Authentication.unauthenticated());
        return;
      }
      admitted(context, session);
      return;
    }
    authentication.authenticate(token).onComplete(done -> {
      if (done.failed()) {
        fail(context, Errors.asKora(done.cause()));
        return;
      }
      session.authenticate(done.result());
      admitted(context, session);
    });
  }

  /**
   * Lets a request a {@link Gate} admitted go on to its route.
   *
   * @param context the request
   * @param session its session: who reads or writes
   */
  public static void admitted(RoutingContext context, Session session) {
    context.put(SESSION, session);
    context.next();
  }

  /**
   * @param context a request its gate admitted
   * @return its session, set by the gate ({@link #admitted})
   */
  public static Session session(RoutingContext context) {
    return context.get(SESSION);
  }

  private static boolean isEventStream(HttpServerRequest request) {
    String accept = request.getHeader("Accept");
    return accept != null && accept.contains("text/event-stream")
        && request.method() == HttpMethod.GET;
  }

  /** The tree path of the routed request: its normalized path after the prefix. */
  private Path path(RoutingContext context) {
    return Path.parse(context.normalizedPath().substring(prefix.length()));
  }

  private void get(RoutingContext context) {
    Path path = path(context);
    boolean eventStream = isEventStream(context.request());
    QueryOptions options = QueryOptions.fromJson(new JsonObject()
        .put("min", context.request().getParam("min"))
        .put("max", context.request().getParam("max"))
        .put("limit", context.request().getParam("limit"))
        .put("since", eventStream ? since(context, path) : null), path);
    if (eventStream) {
      stream(context, Query.of(path, options.withSubscribe(true)));
      return;
    }
    if (context.request().getParam("since") != null) {
      throw new KoraException(ErrorCode.INVALID_QUERY, "'since' resumes an event stream"
          + " (Accept: text/event-stream) or a kora.query; a plain GET answers the whole data");
    }
    // A connection per request: a client that goes before the answer cancels the read.
    Connection connection = new Connection(node, session(context), null);
    context.response().closeHandler(v -> connection.close());
    respond(context, connection.read(Query.of(path, options))
        .map(answer -> Tree.get(answer.getJsonObject("merge"), path)));
  }

  /**
   * The version an event stream resumes from: its {@code Last-Event-ID} (what a browser's
   * EventSource sends when it reconnects), else the {@code since} parameter, else none.
   */
  private static Long since(RoutingContext context, Path path) {
    String since = context.request().getHeader("Last-Event-ID");
    if (since == null) {
      since = context.request().getParam("since");
    }
    if (since == null || since.isEmpty()) {
      return null;
    }
    if (!since.matches("[0-9]{1,18}")) {
      throw new KoraException(ErrorCode.INVALID_QUERY, "query at '" + path + "': 'since' (or"
          + " Last-Event-ID) must be a version, a whole number of at least 0, got " + since);
    }
    return Long.parseLong(since);
  }

  private void write(RoutingContext context, boolean replace) {
    Path path = path(context);
    // A large body is parsed and its mutation built on a worker thread (RequestParsing).
    respond(context, RequestParsing.parse(node, context.body().length(),
            () -> mutation(path, context.body().asString(), replace))
        .compose(mutation -> node.mutate(mutation, session(context))).map(version -> "ok"));
  }

  private Mutation mutation(Path path, String body, boolean replace) {
    Object value;
    try {
      if (body == null || body.isBlank()) {
        throw new KoraException(ErrorCode.INVALID_JSON, "the request needs a JSON body; send null"
            + " to delete, or use DELETE");
      }
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new KoraException(ErrorCode.INVALID_JSON, "body is not valid JSON: " + e.getMessage());
    }
    return node.limits().checkLeaves(replace ? Mutation.replace(path, value)
        : Mutation.merge(path, value));
  }

  private void stream(RoutingContext context, Query query) {
    EventStream stream = new EventStream(node, context, session(context), events);
    stream.connection().subscribe(query, Dialect.KORA).onComplete(done -> {
      if (done.succeeded()) {
        stream.send(SseEvents.event(done.result().getLong("version"), done.result()));
      } else {
        context.fail(done.cause());
      }
      // pushes held while the answer was read may go now, behind it
      stream.connection().replied();
    });
  }

  /** Answers with the value as JSON; to HEAD with the headers only, the length included. */
  private static void respond(RoutingContext context, Future<?> result) {
    result.onSuccess(value -> {
      HttpServerResponse response = context.response().putHeader("Content-Type", "application/json");
      Buffer body = Json.encodeToBuffer(value);
      if (context.request().method() == HttpMethod.HEAD) {
        response.putHeader("Content-Length", String.valueOf(body.length())).end();
      } else {
        response.end(body);
      }
    }).onFailure(context::fail);
  }

  /**
   * Answers a request with an error in Kora's format and its HTTP status (a 401 with
   * {@code WWW-Authenticate}).
   *
   * @param context the request
   * @param e the refusal
   */
  public static void fail(RoutingContext context, KoraException e) {
    context.put(FAILURE, e);
    int status = Errors.httpStatus(e.code());
    if (status == 401) {
      context.response().putHeader("WWW-Authenticate", Authentication.CHALLENGE);
    }
    context.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(Errors.toJson(e).encode());
  }
}
