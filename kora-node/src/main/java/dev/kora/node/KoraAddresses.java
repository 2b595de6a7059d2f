package dev.kora.node;

/**
 * The event bus addresses of a node. The {@code kora.} prefix is reserved for Kora. Bodies are
 * JsonObjects:
 *
 * <ul>
 *   <li>{@link #MUTATE} (request-reply): body a mutation {@code {"merge": {...}, "delete": {...}}};
 *       reply {@code {"version": 42}} once durable, or a failure whose code is the error code
 *       ({@link io.vertx.core.eventbus.ReplyException#failureCode()} is 400 and the message is
 *       {@code "invalid_key: ..."}).</li>
 *   <li>{@link #QUERY} (request-reply): body a query {@code {"todos": {"limit": 10}}}; reply the data
 *       found as a mutation, as over the WebSocket.</li>
 *   <li>{@link #COMMITTED} (published): after each committed mutation, a {@link CommittedChange}
 *       (version and mutation) in commit order — the same object locally, its JSON form
 *       {@code {"version": 42, "mutation": {...}}} across a cluster.</li>
 * </ul>
 */
public final class KoraAddresses {

  /** Request-reply: write a mutation. */
  public static final String MUTATE = "kora.tree.mutate";
  /** Request-reply: read a query. */
  public static final String QUERY = "kora.tree.query";
  /** Published: each committed mutation with its version. */
  public static final String COMMITTED = "kora.tree.committed";

  private KoraAddresses() {
  }
}
