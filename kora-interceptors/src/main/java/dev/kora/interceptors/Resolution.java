package dev.kora.interceptors;

import io.vertx.core.Future;

/**
 * What {@link Interceptor#resolveQuery} answers: nothing (read the store as usual) or a value that
 * replaces the store read at that path — a virtual path. Never null.
 */
public sealed interface Resolution {

  /** Not resolved here: read the store. */
  record None() implements Resolution {
  }

  /**
   * The value at the path: a JsonObject subtree, a leaf, or null for "nothing here".
   *
   * @param value the value
   */
  record Value(Object value) implements Resolution {
  }

  /**
   * A value that comes later.
   *
   * @param future completes with the value (JsonObject, leaf or null)
   */
  record Later(Future<Object> future) implements Resolution {
  }

  /** The one {@link None}. */
  Resolution NONE = new None();

  /** @return not resolved here */
  static Resolution none() {
    return NONE;
  }

  /**
   * @param value a JsonObject subtree, a leaf, or null
   * @return that value
   */
  static Resolution of(Object value) {
    return new Value(value);
  }

  /**
   * @param future the value to come
   * @return an asynchronous value
   */
  static Resolution later(Future<Object> future) {
    return new Later(future);
  }
}
