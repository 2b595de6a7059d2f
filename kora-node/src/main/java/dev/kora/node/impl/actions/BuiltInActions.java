package dev.kora.node.impl.actions;

import dev.kora.node.core.Connection;
import dev.kora.node.core.MutationRequest;
import dev.kora.node.core.PreparedMutation;
import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Query;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The built-in actions ({@link Action}) as ordinary entries of the {@link ActionTable}, each under its
 * {@code kora.} and {@code riptide.} name (docs/protocol.md):
 *
 * <ul>
 *   <li>{@code ping}: answers the node's clock, ms since the epoch;</li>
 *   <li>{@code mutation}: body {@code {"merge": {...}, "delete": {...}, "id": "phone-1:17"}} (the
 *       id optional; or a {@link PreparedMutation}); answers once durable, {@code kora.mutation}
 *       with {@code {"version": 42}}, {@code riptide.mutation} with {@code "ok"}; counted among the
 *       connection's pending writes ({@link Connection#mutate}); a missing body is
 *       {@code invalid_mutation};</li>
 *   <li>{@code query}: body {@code {"todos": {"limit": 10, "subscribe": true}}} (or
 *       {@code {"todos": {"subscribe": true, "since": 41}}} to resume); answers the data —
 *       {@code kora.query} with {@code "version"} (and {@code "reset"}) — and subscribes the entries
 *       that say so (where the transport can push);</li>
 *   <li>{@code subscribe}: reads and subscribes every entry;</li>
 *   <li>{@code unsubscribe}: removes the connection's subscriptions to the paths; answers {@code "ok"};</li>
 *   <li>{@code auth}: body {@code {"token": "<JWT>"}}: authenticates the connection (or renews its
 *       token); answers {@code {"user": "<sub>", "expiresAt": ms}}.</li>
 * </ul>
 *
 * <p>A subscribing call sets the dialect of the connection's pushes ({@code riptide.mutation} or
 * {@code kora.mutation} casts).
 */
public final class BuiltInActions {

  private BuiltInActions() {
  }

  /** @param table where to register them, before any application handler */
  public static void register(ActionTable table) {
    for (Dialect dialect : Dialect.values()) {
      table.builtIn(Action.PING.wireName(dialect),
          (body, connection) -> Future.succeededFuture(System.currentTimeMillis()));
      table.builtIn(Action.MUTATION.wireName(dialect), (body, connection) -> connection
          .mutate(mutation(body)).map(version -> dialect == Dialect.KORA
              ? new JsonObject().put("version", version) : "ok"));
      table.builtIn(Action.QUERY.wireName(dialect),
          (body, connection) -> query(body, connection, dialect));
      table.builtIn(Action.SUBSCRIBE.wireName(dialect), (body, connection) -> {
        Query query = Query.fromJson(object(body, ErrorCode.INVALID_QUERY, "query")).subscribing();
        if (!connection.canSubscribe()) {
          throw new KoraException(ErrorCode.INVALID_MESSAGE, "this transport cannot receive pushes");
        }
        return connection.subscribe(query, dialect).map(answer -> answer(answer, dialect));
      });
      table.builtIn(Action.AUTH.wireName(dialect), (body, connection) -> {
        Object token = object(body, ErrorCode.INVALID_MESSAGE, "auth call").getValue("token");
        if (!(token instanceof String text) || text.isEmpty()) {
          throw new KoraException(ErrorCode.INVALID_MESSAGE,
              "an auth call's body is {\"token\": \"<token>\"}");
        }
        return connection.authenticate(text).map(identity -> new JsonObject()
            .put("user", identity.user())
            .put("expiresAt", identity.expiresAtMs() == 0 ? null : identity.expiresAtMs()));
      });
      table.builtIn(Action.UNSUBSCRIBE.wireName(dialect), (body, connection) -> {
        connection.unsubscribe(Query.fromJson(object(body, ErrorCode.INVALID_QUERY, "query")));
        return Future.succeededFuture("ok");
      });
    }
  }

  private static Future<Object> query(Object body, Connection connection, Dialect dialect) {
    Query query = Query.fromJson(object(body, ErrorCode.INVALID_QUERY, "query"));
    if (connection.canSubscribe()
        && query.entries().stream().anyMatch(entry -> entry.options().subscribe())) {
      return connection.subscribe(query, dialect).map(answer -> answer(answer, dialect));
    }
    return connection.read(query).map(answer -> answer(answer, dialect));
  }

  /**
   * A read's answer as the dialect has it: {@code kora.} answers carry {@code version} (and
   * {@code reset}); {@code riptide.} ones stay {@code {"merge": ..., "delete": ...}}, as the Riptide
   * client expects.
   */
  private static Object answer(JsonObject answer, Dialect dialect) {
    if (dialect == Dialect.RIPTIDE) {
      answer.remove("version");
      answer.remove("reset");
    }
    return answer;
  }

  /** The body of a mutation: its JSON form (a missing body is refused), or built on a worker. */
  private static MutationRequest mutation(Object body) {
    if (body instanceof PreparedMutation prepared) {
      return prepared.get();
    }
    return MutationRequest.fromBody(body);
  }

  /** A missing body reads as {@code {}}; any other body that is not an object is refused. */
  private static JsonObject object(Object body, String code, String what) {
    if (body instanceof JsonObject) {
      return (JsonObject) body;
    }
    if (body == null) {
      return new JsonObject();
    }
    throw new KoraException(code, "the body of a " + what + " must be a JSON object");
  }
}
