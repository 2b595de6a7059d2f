package dev.kora.examples.todo;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.Session;
import dev.kora.tree.ErrorCode;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A todo at {@code user:todos/<user>/<id>} is {@code {"title": "...", "done": false}}: the title a
 * string of 1 to 200 characters, done a boolean, no other field from clients ({@code created} and
 * {@code user} are stamped by the server).
 */
final class TodoSchema implements Interceptor {

  static final int MAX_TITLE = 200;
  private static final PathPattern PATTERN = PathPattern.parse("user:todos/{user}/{id}");

  @Override
  public PathPattern pattern() {
    return PATTERN;
  }

  @Override
  public String name() {
    return "todo-schema";
  }

  @Override
  public InterceptorResult validateMutation(MutationLayer layer, Session session) {
    if (layer.path().size() != 3) {
      // A leaf written above the todos (at user:todos/<user>) would replace them all.
      return layer.writesLeaf() ? invalid(layer, "todos live at user:todos/<user>/<id>; a leaf"
          + " here would replace them") : InterceptorResult.ok();
    }
    if (layer.writesLeaf()) {
      return invalid(layer, "a todo is an object, not " + layer.merge());
    }
    JsonObject todo = layer.mergeObject();
    if (todo == null) {
      return InterceptorResult.ok();
    }
    for (Map.Entry<String, Object> field : todo) {
      Object value = field.getValue();
      switch (field.getKey()) {
        case "title" -> {
          if (!(value instanceof String title) || title.isBlank() || title.length() > MAX_TITLE) {
            return invalid(layer, "title must be a string of 1 to " + MAX_TITLE + " characters");
          }
        }
        case "done" -> {
          if (!(value instanceof Boolean)) {
            return invalid(layer, "done must be true or false");
          }
        }
        case "created", "user" -> {
          if (!session.isInternal()) {
            return invalid(layer, "'" + field.getKey() + "' is set by the server");
          }
        }
        default -> {
          return invalid(layer, "unknown field '" + field.getKey() + "'; a todo has title and done");
        }
      }
    }
    return InterceptorResult.ok();
  }

  private static InterceptorResult invalid(MutationLayer layer, String message) {
    return InterceptorResult.fail(ErrorCode.INVALID_MUTATION, "todo " + layer.path() + ": "
        + message);
  }
}
