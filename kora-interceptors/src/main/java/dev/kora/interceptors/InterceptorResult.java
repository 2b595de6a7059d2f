package dev.kora.interceptors;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import java.util.Objects;

/**
 * What a mutation or query hook answers: a small closed set. Never null.
 *
 * <ul>
 *   <li>{@link #ok()}: go on;</li>
 *   <li>{@link #fail(String, String)} / {@link #deny(String)}: halt the chain; nothing is written or
 *       read, and the client gets the code and message;</li>
 *   <li>{@link #merge(Path, Object)} / {@link #delete(Path)}: add a merge or delete at a path relative to
 *       the layer's path, written atomically with the original mutation;</li>
 *   <li>{@link #combine(Mutation)}: add a whole mutation (paths from the root);</li>
 *   <li>{@link #later(Future)}: an asynchronous answer.</li>
 * </ul>
 *
 * Additions go through {@code validateMutation} too, as server writes ({@link Session#internal()}),
 * but not through {@code beforeMutation} again.
 */
public sealed interface InterceptorResult {

  /** Go on. */
  record Ok() implements InterceptorResult {
  }

  /**
   * Halt with an error.
   *
   * @param code a stable error code, e.g. {@code denied}
   * @param message for humans
   */
  record Fail(String code, String message) implements InterceptorResult {
    public Fail {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * Add a mutation to the one being written.
   *
   * @param addition the addition; paths relative to the layer when {@code relative}, else from the root
   * @param relative whether {@code addition}'s paths are relative to the layer's path
   */
  record Add(Mutation addition, boolean relative) implements InterceptorResult {
  }

  /**
   * An answer that comes later.
   *
   * @param future completes with the real answer
   */
  record Later(Future<InterceptorResult> future) implements InterceptorResult {
  }

  /** The one {@link Ok}. */
  InterceptorResult OK = new Ok();

  /** @return go on */
  static InterceptorResult ok() {
    return OK;
  }

  /**
   * @param code a stable error code
   * @param message for humans
   * @return halt with that error
   */
  static InterceptorResult fail(String code, String message) {
    return new Fail(code, message);
  }

  /**
   * @param message why, for humans
   * @return halt with code {@code denied}
   */
  static InterceptorResult deny(String message) {
    return new Fail(ErrorCode.DENIED, message);
  }

  /**
   * @param relative a path relative to the layer, e.g. {@code Path.of("created")}; the root for the
   *     layer's own path
   * @param value a subtree, a leaf, or null (delete)
   * @return add that merge
   */
  static InterceptorResult merge(Path relative, Object value) {
    return new Add(Mutation.merge(relative, value), true);
  }

  /**
   * @param relative a path relative to the layer (not the root)
   * @return add that delete
   */
  static InterceptorResult delete(Path relative) {
    return new Add(Mutation.delete(relative), true);
  }

  /**
   * @param mutation paths from the root, e.g. a denormalized copy elsewhere in the tree
   * @return add that mutation
   */
  static InterceptorResult combine(Mutation mutation) {
    return new Add(mutation, false);
  }

  /**
   * @param future the answer to come; a failed future becomes {@code interceptor_failed}
   * @return an asynchronous answer
   */
  static InterceptorResult later(Future<InterceptorResult> future) {
    return new Later(future);
  }
}
