package dev.kora.interceptors;

import io.vertx.core.Future;
import java.util.function.BiFunction;

/**
 * An application command over the WebSocket, routed by action name: the frame
 * {@code {"type":"call","key":1,"action":"todo.login","body":{"user":"dax","password":"..."}}} reaches
 * the handler whose {@link #action()} is {@code todo.login}; its future's value becomes the reply body,
 * its failure an error frame ({@link dev.kora.tree.KoraException} keeps its code, anything else becomes
 * {@code interceptor_failed}). Called on the node's context; must not block.
 */
public interface ActionHandler {

  /**
   * @param action the action name, e.g. {@code todo.login}
   * @param handle answers a call: receives the body and the session, returns the reply body
   * @return a handler of {@code action} that does nothing on connect and disconnect
   */
  static ActionHandler of(String action, BiFunction<Object, Session, Future<Object>> handle) {
    return new ActionHandler() {
      @Override
      public String action() {
        return action;
      }

      @Override
      public Future<Object> handle(Object body, Session session) {
        return handle.apply(body, session);
      }
    };
  }

  /** @return the action name, e.g. {@code todo.login}; the {@code kora.} and {@code riptide.} prefixes are reserved */
  String action();

  /**
   * @param body the frame's body (any JSON value, may be null)
   * @param session the connection's state; a login handler sets its user here
   * @return the reply body
   */
  Future<Object> handle(Object body, Session session);

  /**
   * Called when a connection opens.
   *
   * @param session its state
   */
  default void connected(Session session) {
  }

  /**
   * Called when a connection closes.
   *
   * @param session its state
   */
  default void disconnected(Session session) {
  }
}
