package dev.kora.node.impl.actions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.Session;
import dev.kora.node.core.Connection;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The action table without sockets: built-ins first, application names checked, every failure of an
 * application's handler turned into a stable code, and the connection hooks isolated from each other.
 */
class ActionTableTest {

  private final ActionTable table = new ActionTable();
  private final Connection connection = new Connection(null, Session.client("t"), null);

  ActionTableTest() {
    BuiltInActions.register(table);
  }

  @Test
  void builtInsAnswerInBothDialects() {
    assertTrue(table.call("kora.ping", null, connection).result() instanceof Long);
    assertTrue(table.call("riptide.ping", null, connection).result() instanceof Long);
  }

  @Test
  void applicationsCannotTakeReservedOrUsedNames() {
    for (String name : List.of("kora.login", "riptide.query", "kora.ping")) {
      assertThrows(IllegalArgumentException.class,
          () -> table.add(ActionHandler.of(name, (body, session) -> Future.succeededFuture(1))));
    }
    table.add(ActionHandler.of("todo.login", (body, session) -> Future.succeededFuture(1)));
    assertThrows(IllegalArgumentException.class,
        () -> table.add(ActionHandler.of("todo.login", (body, session) -> Future.succeededFuture(2))));
  }

  @Test
  void unknownNamesAreRefused() {
    assertCode(ErrorCode.UNKNOWN_ACTION, table.call("kora.nothing", null, connection));
    assertCode(ErrorCode.UNKNOWN_ACTION, table.call("todo.nothing", null, connection));
  }

  @Test
  void aHandlersFailuresBecomeStableCodes() {
    table.add(ActionHandler.of("a.throws", (body, session) -> {
      throw new IllegalStateException("bug");
    }));
    table.add(ActionHandler.of("a.fails", (body, session) ->
        Future.failedFuture(new IllegalStateException("later bug"))));
    table.add(ActionHandler.of("a.denies", (body, session) ->
        Future.failedFuture(new KoraException(ErrorCode.DENIED, "no"))));
    table.add(ActionHandler.of("a.throwsDenied", (body, session) -> {
      throw new KoraException(ErrorCode.DENIED, "no");
    }));
    assertCode(ErrorCode.INTERCEPTOR_FAILED, table.call("a.throws", null, connection));
    assertCode(ErrorCode.INTERCEPTOR_FAILED, table.call("a.fails", null, connection));
    assertCode(ErrorCode.DENIED, table.call("a.denies", null, connection));
    assertCode(ErrorCode.DENIED, table.call("a.throwsDenied", null, connection));
  }

  @Test
  void aBuiltInRefusesABodyOfTheWrongShape() {
    assertCode(ErrorCode.INVALID_MUTATION, table.call("kora.mutation", "text", connection));
    assertCode(ErrorCode.INVALID_QUERY, table.call("riptide.query", 5, connection));
  }

  @Test
  void everyHandlerHearsOfConnectionsEvenWhenOneThrows() {
    List<String> heard = new ArrayList<>();
    table.add(new Hooks("first", heard, true));
    table.add(new Hooks("second", heard, false));
    table.connected(connection.session());
    table.disconnected(connection.session());
    assertEquals(List.of("first+", "second+", "first-", "second-"), heard);
  }

  private static void assertCode(String code, Future<Object> result) {
    assertTrue(result.failed(), () -> "expected " + code + ", got " + result.result());
    assertEquals(code, ((KoraException) result.cause()).code(), result.cause().getMessage());
  }

  private record Hooks(String action, List<String> heard, boolean fails) implements ActionHandler {
    @Override
    public Future<Object> handle(Object body, Session session) {
      return Future.succeededFuture(null);
    }

    @Override
    public void connected(Session session) {
      heard.add(action + "+");
      if (fails) {
        throw new IllegalStateException("hook bug");
      }
    }

    @Override
    public void disconnected(Session session) {
      heard.add(action + "-");
      if (fails) {
        throw new IllegalStateException("hook bug");
      }
    }
  }
}
