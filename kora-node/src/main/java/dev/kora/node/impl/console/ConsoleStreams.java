package dev.kora.node.impl.console;

import dev.kora.node.core.NodeCore;
import dev.kora.node.impl.rest.EventStream;
import dev.kora.node.impl.rest.RestApi;
import dev.kora.node.impl.rest.SseEvents;
import dev.kora.protocol.Dialect;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's live channel: a page opens one event stream ({@code GET /console/api/events}, read
 * with {@code fetch} so that the credential travels in a header, not the URL) and then says which
 * paths it has open ({@code POST /console/api/watch} with {@code {"stream": id, "path": ["cities"],
 * "watch": true}}); every commit that touches them arrives on the stream as an event
 * {@code mutation}, as on {@code /tree}'s streams. A page needs one HTTP connection however many
 * paths it shows. The first event, {@code stream}, names the stream's id (random, 128 bits); a
 * watch
 * must name it, and needs the administrator's credential as every console request. A watch
 * subscribes without reading: a path's data comes through {@code children} or {@code tree} reads.
 * Confined to the node's context.
 */
final class ConsoleStreams {

  private final NodeCore node;
  private final SseEvents events;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, EventStream> open = new HashMap<>();

  /**
   * @param node the node
   * @param events how pushes are encoded
   */
  ConsoleStreams(NodeCore node, SseEvents events) {
    this.node = node;
    this.events = events;
  }

  /** Opens a stream: {@code GET /console/api/events}. */
  void open(RoutingContext context) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    EventStream stream = new EventStream(node, context, RestApi.session(context), events);
    open.put(id, stream);
    context.response().closeHandler(v -> {
      stream.connection().close();
      open.remove(id);
    });
    // a stream the node ends (its token expired) is forgotten too
    context.response().endHandler(v -> open.remove(id));
    stream.send(SseEvents.event("stream", null, new JsonObject().put("stream", id)));
  }

  /** Watches a path on a stream, or stops: {@code POST /console/api/watch}. */
  void watch(RoutingContext context) {
    JsonObject body;
    try {
      body = context.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw new KoraException(ErrorCode.INVALID_JSON, "the body must be a JSON object:"
          + " {\"stream\": id, \"path\": [keys], \"watch\": true}");
    }
    if (body == null || !(body.getValue("stream") instanceof String id)
        || !(body.getValue("path") instanceof JsonArray keys)) {
      throw new KoraException(ErrorCode.INVALID_QUERY, "watch needs {\"stream\": id, \"path\":"
          + " [keys], \"watch\": true or false}");
    }
    EventStream stream = open.get(id);
    if (stream == null) {
      throw new KoraException(ErrorCode.NOT_FOUND, "no open console stream " + id);
    }
    Path path = path(keys);
    if (!Boolean.FALSE.equals(body.getValue("watch"))) {
      // limit 0: subscribe only; the subscription still covers the whole subtree
      Future<JsonObject> answer = stream.connection().subscribe(
          Query.of(path, new QueryOptions(null, null, 0, true)), Dialect.KORA);
      answer.onComplete(done -> stream.connection().replied());
      ConsoleRoutes.json(context, answer.map(data -> new JsonObject()
          .put("version", data.getLong("version"))));
    } else {
      stream.connection().unsubscribe(Query.of(path, QueryOptions.WHOLE));
      ConsoleRoutes.json(context, Future.succeededFuture(new JsonObject()));
    }
  }

  private static Path path(JsonArray keys) {
    List<String> list = new ArrayList<>();
    for (Object key : keys) {
      if (!(key instanceof String text)) {
        throw new KoraException(ErrorCode.INVALID_KEY, "path keys must be strings, got " + key);
      }
      list.add(text);
    }
    return Path.of(list);
  }
}
