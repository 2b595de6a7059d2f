package dev.kora.protocol;

/**
 * The built-in actions of the protocol. Each is spoken under two names: {@code kora.X} and, for the
 * published {@code @ironbay/riptide} JavaScript client, {@code riptide.X}; the {@link Dialect} a
 * connection subscribed with decides how its pushes are named. Every other {@code kora.} or
 * {@code riptide.} name is reserved: an application's action handlers use names of their own, such as
 * {@code todo.login}.
 */
public enum Action {

  /** Answers the node's clock in ms since the epoch. Body ignored. */
  PING("ping"),
  /** Writes a mutation {@code {"merge": {...}, "delete": {...}}}; answers {@code "ok"} once durable. */
  MUTATION("mutation"),
  /** Reads a query {@code {"todos": {"limit": 10}}}; subscribes the paths with {@code subscribe}. */
  QUERY("query"),
  /** Reads and subscribes every path of a query. */
  SUBSCRIBE("subscribe"),
  /** Removes subscriptions made with {@link #QUERY} or {@link #SUBSCRIBE}; answers {@code "ok"}. */
  UNSUBSCRIBE("unsubscribe"),
  /**
   * Authenticates the connection with a token {@code {"token": "<JWT>"}}, or replaces its identity
   * with a fresh token before the old one expires; answers {@code {"user": "<sub>", "expiresAt": ms}}.
   */
  AUTH("auth");

  private final String suffix;

  Action(String suffix) {
    this.suffix = suffix;
  }

  /**
   * @param dialect which name
   * @return the action's name in that dialect, e.g. {@code kora.mutation} or {@code riptide.mutation}
   */
  public String wireName(Dialect dialect) {
    return dialect.prefix() + suffix;
  }

  /**
   * @param name an action name from a frame, e.g. {@code riptide.query}
   * @return the built-in action it names in either dialect, or null (an application's action, or an
   *     unknown reserved one: see {@link Dialect#of})
   */
  public static Action of(String name) {
    Dialect dialect = Dialect.of(name);
    if (dialect == null) {
      return null;
    }
    String suffix = name.substring(dialect.prefix().length());
    for (Action action : values()) {
      if (action.suffix.equals(suffix)) {
        return action;
      }
    }
    return null;
  }
}
