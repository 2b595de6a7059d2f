package dev.kora.examples.todo;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.QueryLayer;
import dev.kora.interceptors.Session;

/**
 * Owner-only access to a subtree per user: the pattern's {@code {user}} capture must be the session's
 * user. Server-side (internal) requests pass. Writes above the pattern that would wipe it (deleting
 * {@code user:todos} whole) reach this interceptor without a {@code user} capture and are refused.
 */
final class TodoPermissions implements Interceptor {

  private final PathPattern pattern;
  private final boolean writable;

  /**
   * @param pattern e.g. {@code user:todos/{user}/**}; without a {@code {user}} capture nobody but the
   *     server gets in
   * @param writable whether the owner may write, or only read
   */
  TodoPermissions(String pattern, boolean writable) {
    this.pattern = PathPattern.parse(pattern);
    this.writable = writable;
  }

  @Override
  public PathPattern pattern() {
    return pattern;
  }

  @Override
  public String name() {
    return "todo-permissions(" + pattern + ")";
  }

  @Override
  public InterceptorResult validateMutation(MutationLayer layer, Session session) {
    if (session.isInternal()) {
      return InterceptorResult.ok();
    }
    if (!writable) {
      return InterceptorResult.deny("'" + layer.path() + "' is kept by the server");
    }
    return owner(layer.capture("user"), session, layer.path().toString());
  }

  @Override
  public InterceptorResult beforeQuery(QueryLayer layer, Session session) {
    if (session.isInternal()) {
      return InterceptorResult.ok();
    }
    return owner(layer.capture("user"), session, layer.path().toString());
  }

  private static InterceptorResult owner(String owner, Session session, String path) {
    if (session.user() == null) {
      return InterceptorResult.deny("log in first (todo.login) to use '" + path + "'");
    }
    if (owner == null || !owner.equals(session.user())) {
      return InterceptorResult.deny("'" + path + "' belongs to another user");
    }
    return InterceptorResult.ok();
  }
}
