package dev.kora.node.impl.actions;

import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.Session;
import dev.kora.node.core.Authentication;
import dev.kora.node.core.Connection;
import dev.kora.node.core.ConnectionAction;
import dev.kora.protocol.Dialect;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Every action a node answers, by name: the built-in ones first ({@link BuiltInActions}), then the
 * applications' {@link ActionHandler}s, which may not use the reserved {@code kora.} and
 * {@code riptide.} prefixes nor a name twice. Every transport calls actions through here, so an action
 * behaves the same on each. Built while the node starts, then confined to the node's context.
 */
public final class ActionTable {

  private static final System.Logger LOG = System.getLogger(ActionTable.class.getName());

  private final Map<String, ConnectionAction> actions = new HashMap<>();
  private final List<ActionHandler> handlers = new ArrayList<>();
  private final Authentication authentication;

  /** A table of a node without authentication. */
  public ActionTable() {
    this(Authentication.NONE);
  }

  /** @param authentication who may call what before authenticating */
  public ActionTable(Authentication authentication) {
    this.authentication = authentication;
  }

  /**
   * Registers a built-in action.
   *
   * @param name its name, e.g. {@code kora.query}
   * @param action what it does
   */
  void builtIn(String name, ConnectionAction action) {
    if (actions.put(name, action) != null) {
      throw new IllegalStateException("two built-in actions named '" + name + "'");
    }
  }

  /**
   * Registers an application's handler.
   *
   * @param handler the handler
   * @throws IllegalArgumentException when its name has a reserved prefix or is taken
   */
  public void add(ActionHandler handler) {
    String name = handler.action();
    if (Dialect.isReserved(name)) {
      throw new IllegalArgumentException("action '" + name + "' uses a reserved prefix (kora.,"
          + " riptide.)");
    }
    if (actions.containsKey(name)) {
      throw new IllegalArgumentException("two handlers for action '" + name + "'");
    }
    actions.put(name, (body, connection) -> handle(handler, body, connection.session()));
    handlers.add(handler);
  }

  /** @return the applications' handlers, in registration order */
  public List<ActionHandler> handlers() {
    return Collections.unmodifiableList(handlers);
  }

  /**
   * @param name the action name from a frame
   * @param body its body
   * @param connection who calls
   * @return the reply body; fails with {@code unauthenticated} when the node requires a token the
   *     connection has not given (but for {@code kora.auth} and {@code kora.ping}),
   *     {@code unknown_action} for a name no one handles, the action's
   *     own {@link KoraException}, or {@code internal} when a built-in action threw anything else
   */
  public Future<Object> call(String name, Object body, Connection connection) {
    KoraException refusal = authentication.refusal(name, connection.session());
    if (refusal != null) {
      return Future.failedFuture(refusal);
    }
    ConnectionAction action = actions.get(name);
    if (action == null) {
      return Future.failedFuture(new KoraException(ErrorCode.UNKNOWN_ACTION, "unknown action '"
          + (name.length() <= 100 ? name : name.substring(0, 100) + "…") + "'"));
    }
    try {
      return action.handle(body, connection);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      return Future.failedFuture(new KoraException(ErrorCode.INTERNAL, "unexpected failure: " + e,
          e));
    }
  }

  /**
   * Runs an application's handler; whatever it throws or fails with, other than a
   * {@link KoraException}, becomes {@code interceptor_failed}.
   */
  private static Future<Object> handle(ActionHandler handler, Object body, Session session) {
    Future<Object> handled;
    try {
      handled = handler.handle(body, session);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    } catch (RuntimeException e) {
      return Future.failedFuture(new KoraException(ErrorCode.INTERCEPTOR_FAILED,
          "handler of '" + handler.action() + "' failed: " + e, e));
    }
    return handled.recover(e -> Future.failedFuture(e instanceof KoraException ? e
        : new KoraException(ErrorCode.INTERCEPTOR_FAILED, "handler of '" + handler.action()
            + "' failed: " + e.getMessage(), e)));
  }

  /** @param session a connection that opened: tells every application handler */
  public void connected(Session session) {
    tellHandlers("connected", handler -> handler.connected(session));
  }

  /** @param session a connection that closed: tells every application handler */
  public void disconnected(Session session) {
    tellHandlers("disconnected", handler -> handler.disconnected(session));
  }

  /** Calls a hook of every handler; a hook that throws is logged and the others still run. */
  private void tellHandlers(String hook, Consumer<ActionHandler> call) {
    for (ActionHandler handler : handlers) {
      try {
        call.accept(handler);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, hook + "() of handler " + handler.action()
            + " failed", e);
      }
    }
  }
}
