package dev.kora.node.impl.rest;

import dev.kora.interceptors.Session;
import dev.kora.node.core.CommittedPart;
import dev.kora.node.core.Connection;
import dev.kora.node.core.NodeCore;
import dev.kora.node.core.RequestParsing;
import dev.kora.node.core.Subscriber;
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
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * REST and server-sent events on {@code /tree/<path>} (docs/protocol.md): {@code GET} reads (with
 * {@code ?min=&max=&limit=}), {@code PATCH} merges the body, {@code PUT} replaces the subtree,
 * {@code DELETE} deletes it, and {@code GET} with {@code Accept: text/event-stream} streams the
 * subtree's changes. Errors answer {@code {"code": ..., "message": ...}} with a matching HTTP status.
 * Runs on the node's context.
 */
public final class RestApi {

  private final NodeCore node;
  private final int maxBodyBytes;
  /** The SSE event of the part pushed last, shared by the streams that receive the same part. */
  private CommittedPart lastPart;
  private String lastEvent;

  /**
   * @param node the node
   * @param maxBodyBytes the largest request body accepted
   */
  public RestApi(NodeCore node, int maxBodyBytes) {
    this.node = node;
    this.maxBodyBytes = maxBodyBytes;
  }

  /** @param router where to add the routes */
  public void mount(Router router) {
    router.route("/tree*").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.get("/tree*").handler(this::get);
    router.patch("/tree*").handler(context -> write(context, false));
    router.put("/tree*").handler(context -> write(context, true));
    router.delete("/tree*").handler(context -> respond(context,
        node.mutate(Mutation.delete(path(context)), session(context)).map(version -> "ok")));
    // vertx-web itself answers 400 to a malformed percent escape in the path (%ZZ, a lone %), before
    // any route runs: answer it in Kora's error format too.
    router.errorHandler(400, context -> fail(context, new KoraException(ErrorCode.INVALID_KEY,
        "malformed percent escape in the request path")));
    router.route().failureHandler(context -> {
      Throwable failure = context.failure();
      if (context.statusCode() == 413) {
        fail(context, new KoraException(ErrorCode.TOO_LARGE, "request body exceeds "
            + maxBodyBytes + " bytes"));
      } else if (failure instanceof KoraException kora) {
        fail(context, kora);
      } else if (context.statusCode() == 404) {
        context.response().setStatusCode(404).end();
      } else {
        fail(context, Errors.asKora(failure));
      }
    });
  }

  /** Each REST request is its own anonymous client session. */
  private static Session session(RoutingContext context) {
    return Session.client("http:" + context.request().remoteAddress());
  }

  private static Path path(RoutingContext context) {
    String raw = context.request().path().substring("/tree".length());
    return Path.parse(raw);
  }

  private void get(RoutingContext context) {
    Path path = path(context);
    QueryOptions options = QueryOptions.fromJson(new JsonObject()
        .put("min", context.request().getParam("min"))
        .put("max", context.request().getParam("max"))
        .put("limit", context.request().getParam("limit")), path);
    String accept = context.request().getHeader("Accept");
    if (accept != null && accept.contains("text/event-stream")) {
      stream(context, Query.of(path, options.withSubscribe(true)));
      return;
    }
    respond(context, node.read(Query.of(path, options), session(context))
        .map(answer -> Tree.get(answer.getJsonObject("merge"), path)));
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
    HttpServerResponse response = context.response();
    response.setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache");
    Session session = session(context);
    Subscriber subscriber = new Subscriber() {
      @Override
      public Session session() {
        return session;
      }

      @Override
      public void push(CommittedPart part) {
        response.write(event(part));
      }
    };
    Connection connection = new Connection(node, session, subscriber);
    connection.subscribe(query, Dialect.KORA).onSuccess(answer -> response.write(event(0, answer)))
        .onFailure(context::fail);
    response.closeHandler(v -> connection.close());
  }

  private String event(CommittedPart part) {
    if (part != lastPart) {
      lastPart = part;
      lastEvent = event(part.version(), part.mutation().toJson());
    }
    return lastEvent;
  }

  private static String event(long version, JsonObject mutation) {
    return "event: mutation\nid: " + version + "\ndata: " + mutation.encode() + "\n\n";
  }

  private static void respond(RoutingContext context, Future<?> result) {
    result.onSuccess(value -> context.response().putHeader("Content-Type", "application/json")
        .end(Json.encode(value))).onFailure(context::fail);
  }

  private static void fail(RoutingContext context, KoraException e) {
    context.response().setStatusCode(Errors.httpStatus(e.code()))
        .putHeader("Content-Type", "application/json")
        .end(Errors.toJson(e).encode());
  }
}
