package dev.kora.node.eventbus;

/**
 * The event bus addresses of a node. The {@code kora.} prefix is reserved for Kora. Bodies are
 * JsonObjects:
 *
 * <ul>
 *   <li>{@link #MUTATE} (request-reply): body a mutation {@code {"merge": {...}, "delete": {...}}};
 *       reply {@code {"version": 42}} once durable, or a failure: the requester's future fails with a
 *       {@link dev.kora.protocol.KoraReplyException} whose {@code code()} is the error code
 *       ({@code "invalid_key"}), {@code getMessage()} the message, and {@code failureCode()} the
 *       code's HTTP status ({@link dev.kora.protocol.Errors#httpStatus}).</li>
 *   <li>{@link #QUERY} (request-reply): body a query {@code {"todos": {"limit": 10}}}; reply the data
 *       found as a mutation, as over the WebSocket; failures as for {@link #MUTATE}.</li>
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
