package dev.kora.examples.todo;

import dev.kora.interceptors.Effect;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.Session;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * On creation of a todo (no {@code created} stored yet, or the todo replaced whole), stamps
 * {@code created} (ms since the epoch) and {@code user}, and requires a title. Decides the effects: a
 * notification for each new todo, and a recount of the user's todos after a creation or deletion.
 * Asynchronous: it reads the store to tell a creation from an update.
 */
final class TodoStamps implements Interceptor {

  private static final PathPattern PATTERN = PathPattern.parse("user:todos/{user}/{id}");

  private final TodoUsers users;

  TodoStamps(TodoUsers users) {
    this.users = users;
  }

  @Override
  public PathPattern pattern() {
    return PATTERN;
  }

  @Override
  public String name() {
    return "todo-stamps";
  }

  @Override
  public InterceptorResult beforeMutation(MutationLayer layer, Session session) {
    JsonObject todo = layer.mergeObject();
    if (layer.path().size() != 3 || todo == null) {
      return InterceptorResult.ok();
    }
    String user = layer.capture("user");
    if (layer.deletesPath()) {
      return stamp(todo, user);
    }
    KoraContext context = users.context();
    return InterceptorResult.later(context.read(layer.path().child("created"))
        .map(created -> created != null ? InterceptorResult.ok() : stamp(todo, user)));
  }

  private static InterceptorResult stamp(JsonObject todo, String user) {
    if (!(todo.getValue("title") instanceof String)) {
      return InterceptorResult.fail(ErrorCode.INVALID_MUTATION, "a new todo needs a title");
    }
    return InterceptorResult.merge(Path.ROOT, new JsonObject()
        .put("created", System.currentTimeMillis()).put("user", user));
  }

  @Override
  public List<Effect> effect(MutationLayer layer, Session session) {
    String user = layer.capture("user");
    if (user == null) {
      return List.of();
    }
    List<Effect> effects = new ArrayList<>();
    JsonObject todo = layer.mergeObject();
    boolean created = layer.path().size() == 3 && todo != null && todo.containsKey("created");
    if (created) {
      effects.add(Effect.of(TodoEffects.NOTIFY, new JsonObject().put("user", user)
          .put("todo", layer.path().lastKey()).put("title", todo.getString("title"))));
    }
    if (created || layer.deletesPath()) {
      effects.add(Effect.of(TodoEffects.RECOUNT, new JsonObject().put("user", user)));
    }
    return effects;
  }
}
