package dev.kora.interceptors;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import java.util.List;

/**
 * Hooks on every write and read of the paths matching {@link #pattern()}. Every hook has a no-op
 * default; implement the ones you need. The node runs them in this order:
 *
 * <ol>
 *   <li>{@link #validateMutation} for every layer of an incoming mutation: the first failure halts and
 *       nothing is written;</li>
 *   <li>{@link #beforeMutation} for every layer, in order: may add merges/deletes (written atomically
 *       with the mutation; additions are validated again, as server writes with
 *       {@link Session#internal()}) or fail;</li>
 *   <li>{@link #effect} for every layer of the final mutation: jobs stored with the write;</li>
 *   <li>the write commits durably, subscribers are notified
 *       ({@link #filterDelivery} per push and connection);</li>
 *   <li>{@link #afterMutation} for every layer: failures are logged, never undo the write; then the
 *       effects run.</li>
 * </ol>
 *
 * Reads: {@link #beforeQuery} for every queried or subscribed path (a failure refuses the whole query,
 * and a denied path is never subscribed), then {@link #resolveQuery} (the first interceptor that
 * resolves a path replaces the store read), then {@link #filterAnswer} on the answer.
 *
 * <p>Layers: every path present in a mutation's merge or delete tree, branches and leaves, parents first
 * (see {@link MutationLayer}). A layer that deletes or writes a leaf over a whole subtree above the
 * pattern (a wide delete of {@code user:todos} for the pattern {@code user:todos/{user}/**}) is shown to
 * the interceptor too, with the captures it binds, so rules cannot be bypassed from above.
 *
 * <p>Interceptors run in registration order on the node's context and must not block; return
 * {@link InterceptorResult#later} for asynchronous work. A hook that throws becomes the error
 * {@code interceptor_failed} naming the interceptor; the connection stays open. The session says who
 * asks; server-side writes have {@link Session#isInternal()}.
 */
public interface Interceptor {

  /** @return the paths this interceptor sees; default {@code **} (all) */
  default PathPattern pattern() {
    return PathPattern.ANY;
  }

  /** @return a name for errors and logs; default the class name */
  default String name() {
    return getClass().getName();
  }

  /**
   * Checks a layer before anything is written.
   *
   * @param layer the layer at a matching path
   * @param session who writes
   * @return ok, or a failure that halts the mutation
   */
  default InterceptorResult validateMutation(MutationLayer layer, Session session) {
    return InterceptorResult.ok();
  }

  /**
   * Adds to or refuses a mutation before it is written.
   *
   * @param layer the layer at a matching path
   * @param session who writes
   * @return ok, an addition, or a failure
   */
  default InterceptorResult beforeMutation(MutationLayer layer, Session session) {
    return InterceptorResult.ok();
  }

  /**
   * Reacts to a committed write. Failures are logged and never undo it.
   *
   * @param layer the layer at a matching path of the committed mutation
   * @param session who wrote
   */
  default void afterMutation(MutationLayer layer, Session session) {
  }

  /**
   * Decides side effects of a write, stored durably with it and run after it commits.
   *
   * @param layer the layer at a matching path of the final mutation
   * @param session who writes
   * @return jobs to run; empty for none
   */
  default List<Effect> effect(MutationLayer layer, Session session) {
    return List.of();
  }

  /**
   * Checks a queried or subscribed path.
   *
   * @param layer the path and its options
   * @param session who reads
   * @return ok, or a failure (e.g. {@link InterceptorResult#deny}); additions are not allowed here
   */
  default InterceptorResult beforeQuery(QueryLayer layer, Session session) {
    return InterceptorResult.ok();
  }

  /**
   * Supplies the value of a virtual path instead of the store's.
   *
   * @param layer the path and its options
   * @param session who reads
   * @return {@link Resolution#none()} to read the store, or the value
   */
  default Resolution resolveQuery(QueryLayer layer, Session session) {
    return Resolution.none();
  }

  /**
   * Decides what part of a committed change a subscriber may see.
   *
   * @param subscribed the subscribed path that matched this interceptor's pattern
   * @param captures keys the pattern bound in {@code subscribed}
   * @param part the part of the change for that subscription, paths from the root
   * @param session the subscriber's connection
   * @return the part to deliver; {@link Mutation#empty()} delivers nothing
   */
  default Mutation filterDelivery(Path subscribed, java.util.Map<String, String> captures,
      Mutation part, Session session) {
    return part;
  }

  /**
   * Says that {@link #filterDelivery} depends only on the part and on who the subscriber is (its
   * user and claims), not on anything else of its session: the node then filters a change once for
   * all subscribers of the same paths with equal identities and shares the result.
   *
   * @return whether that holds; default false (filtered per subscriber)
   */
  default boolean filtersByIdentity() {
    return false;
  }

  /**
   * Decides what part of an answer to a query or subscription a client may see, as
   * {@link #filterDelivery} does for pushes: an interceptor that hides data should implement both, so
   * that answers and the pushes after them agree.
   *
   * @param queried the queried paths, e.g. {@code [todos/dax]}
   * @param answer the answer, paths from the root:
   *     {@code {"merge": {"todos": {"dax": {...}}}, "delete": {"todos": {"dax": 1}}, "version": 7}};
   *     change its {@code merge} and {@code delete} trees in place
   * @param session who reads
   */
  default void filterAnswer(java.util.List<Path> queried, io.vertx.core.json.JsonObject answer,
      Session session) {
  }
}
