package dev.kora.node.core;

import dev.kora.interceptors.Session;
import dev.kora.node.logging.RequestLog;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * What a transport (WebSocket, REST/SSE, the event bus) needs of a node, and nothing more: write, read,
 * subscribe, and call an action by name. Transports translate their wire to these calls and the
 * answers back; the node behind them orders writes, runs interceptors and the reserved-path rule, and
 * pushes committed changes to {@link Subscriber}s.
 *
 * <p>Threading: every method may be called from any thread and never blocks; futures complete on the
 * caller's context when it has one (another verticle's), else on the node's. Transports run on the
 * node's {@link #context()}, where calls take no hop.
 */
public interface NodeCore {

  /** @return the node's context: its event loop runs every connection, write and push */
  Context context();

  /**
   * Writes a mutation on behalf of a session: the reserved-path rule and the interceptors first
   * (validate, before, effects), then one durable commit (grouped with concurrent ones), then
   * {@code afterMutation} and the effect jobs. A client session's mutations commit in the order it
   * sent them.
   *
   * @param mutation the mutation, e.g. {@code {"merge": {"todos": {"t1": {"done": true}}}}}
   * @param session who writes
   * @return the version once durable; fails with {@code too_large} (a client session's mutation
   *     over {@link RequestLimits#maxLeavesPerMutation}), {@code denied}, an interceptor's code,
   *     {@code interceptor_failed}, {@code store_unavailable} or {@code closed}
   */
  default Future<Long> mutate(Mutation mutation, Session session) {
    return mutate(new MutationRequest(mutation, null, false), session);
  }

  /**
   * Writes a mutation that may carry a client's id, as {@link #mutate(Mutation, Session)}; a
   * mutation whose id was committed before is not applied, intercepted or effected again and
   * answers the version it was committed with (a resend of one whose first send is still in
   * progress answers as that one does).
   *
   * @param request the mutation and the client's id for it, e.g. {@code "phone-1:17"} (checked by
   *     {@link MutationRequest#fromBody}), or null; with {@code first}, the id is not looked up
   * @param session who writes
   * @return the version once durable, as {@link #mutate(Mutation, Session)}; fails with
   *     {@code invalid_mutation} for an id when the node keeps no change log
   */
  Future<Long> mutate(MutationRequest request, Session session);

  /**
   * Answers a query; entries with {@code subscribe} are read but not subscribed.
   *
   * @param query e.g. {@code {"todos": {"limit": 10}}}
   * @param session who reads; a client session cannot read reserved paths
   * @return the data as a mutation in wire form: {@code {"merge": {...}, "delete": {...}}}, the merge
   *     from the root, a delete of {@code 1} at each whole queried path
   */
  default Future<JsonObject> read(Query query, Session session) {
    return read(query, session, new Cancellation());
  }

  /**
   * Answers a query, as {@link #read(Query, Session)}, and stops reading when cancelled.
   *
   * @param query the query; more paths than the node's {@code maxQueryPaths} are refused with
   *     {@code too_large}
   * @param session who reads
   * @param cancellation cancelling it closes the store cursors the read holds; the answer then
   *     fails with {@code closed}
   * @return the answer, as {@link #read(Query, Session)}
   */
  Future<JsonObject> read(Query query, Session session, Cancellation cancellation);

  /**
   * Subscribes to the paths of a query whose options say {@code subscribe} and reads every path of
   * it, between two commits: the answer reflects exactly the commits before it, and every later one
   * that touches the paths reaches the subscriber as a push (no gap, no overlap).
   *
   * @param query the paths
   * @param subscriber who receives the pushes
   * @return the answer in wire form, as {@link #read}
   */
  default Future<JsonObject> subscribe(Query query, Subscriber subscriber) {
    return subscribe(query, subscriber, new Cancellation());
  }

  /**
   * Subscribes and reads, as {@link #subscribe(Query, Subscriber)}, and stops reading when
   * cancelled. The subscriptions are registered between two commits and the data read is that of
   * this point, but rows are pulled after it, while writes go on: pushes of later commits can reach
   * the subscriber before the answer is ready ({@link Connection} holds them until its reply is
   * written). A subscribe that fails (a store error, a cancellation) leaves no subscription behind.
   *
   * @param query the paths; more than the node's {@code maxQueryPaths} are refused with
   *     {@code too_large}
   * @param subscriber who receives the pushes
   * @param cancellation cancelling it closes the read's cursors and undoes the subscriptions; the
   *     answer then fails with {@code closed}
   * @return the answer, as {@link #read(Query, Session)}
   */
  Future<JsonObject> subscribe(Query query, Subscriber subscriber, Cancellation cancellation);

  /**
   * Lists one page of the children of a path without reading their subtrees (the console's tree):
   * checked as a query with the same options (reserved paths, {@code beforeQuery}); virtual paths
   * of {@code resolveQuery} are not listed.
   *
   * @param path the parent, e.g. {@code cities}
   * @param options {@code min}, {@code max} and {@code limit} (at least 1) of the page
   * @param session who reads; a client session does not see the reserved {@code kora:*} keys
   * @param cancellation stops the listing when cancelled
   * @return {@code {"children": [{"key": "a", "value": 1}, {"key": "b", "branch": true}], "next":
   *     "c", "version": V}}, {@code next} being the {@code min} of the following page (null after
   *     the last child); fails with {@code invalid_query} without a limit, {@code denied}, an
   *     interceptor's code or {@code store_unavailable}
   */
  Future<JsonObject> children(Path path, QueryOptions options, Session session,
      Cancellation cancellation);

  /**
   * Removes subscriptions, once per path given (a path subscribed twice needs two removals).
   *
   * @param paths subscribed paths
   * @param subscriber the subscriber
   */
  void unsubscribe(Iterable<Path> paths, Subscriber subscriber);

  /**
   * Runs an action by name: a built-in one ({@code kora.query}, {@code riptide.mutation}, ...) or an
   * application's ({@code todo.login}). Call on the node's context.
   *
   * @param action the action name from the frame
   * @param body the frame's body
   * @param connection who calls
   * @return the reply body; fails with {@code unknown_action}, the action's own codes, or
   *     {@code interceptor_failed} when an application handler threw
   */
  Future<Object> call(String action, Object body, Connection connection);

  /**
   * Tells the application's action handlers that a client connection opened. Call on the node's
   * context.
   *
   * @param session its session
   */
  void connected(Session session);

  /**
   * Tells the application's action handlers that a client connection closed. Call on the node's
   * context.
   *
   * @param session its session
   */
  void disconnected(Session session);

  /** @return the limits on clients' requests that transports apply ({@link RequestParsing}) */
  RequestLimits limits();

  /**
   * @return how clients authenticate: transports find tokens in requests and verify them with it;
   *     {@link Authentication#NONE} on a node without authentication
   */
  Authentication authentication();

  /**
   * @return the node's rate limits: transports take a {@link RateLimits.Meter} for each connection
   *     from it
   */
  RateLimits rateLimits();

  /** @return the node's metrics, which transports add to (connections, pushes) */
  NodeMetrics metrics();

  /** @return where transports log the answer to each request, under its request id */
  RequestLog requestLog();

  /**
   * Checks that the node can serve: its store answers a small read within 2 s.
   *
   * @return completes when ready; fails with {@code store_unavailable} (or the store's code) when not
   */
  Future<Void> ready();
}
