package dev.kora.node.core;

import io.vertx.core.Future;

/**
 * What a node does for one action name, e.g. {@code kora.query} or an application's
 * {@code todo.login}: the built-in actions and the plugins' {@link dev.kora.interceptors.ActionHandler}s
 * alike. Called on the node's context; must not block.
 */
@FunctionalInterface
public interface ConnectionAction {

  /**
   * @param body the frame's body, any JSON value or null
   * @param connection who calls
   * @return the reply body; a failure becomes an error frame with its code
   *     ({@link dev.kora.protocol.Errors#asKora})
   */
  Future<Object> handle(Object body, Connection connection);
}
