package dev.kora.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The one mapping of failures to codes, bodies, HTTP statuses and event bus replies. */
class ErrorsTest {

  @Test
  void eachCodeHasItsHttpStatus() {
    assertEquals(403, Errors.httpStatus(ErrorCode.DENIED));
    assertEquals(404, Errors.httpStatus(ErrorCode.NOT_FOUND));
    assertEquals(405, Errors.httpStatus(ErrorCode.METHOD_NOT_ALLOWED));
    assertEquals(413, Errors.httpStatus(ErrorCode.TOO_LARGE));
    assertEquals(429, Errors.httpStatus(ErrorCode.TOO_MANY_READS));
    assertEquals(503, Errors.httpStatus(ErrorCode.STORE_UNAVAILABLE));
    assertEquals(503, Errors.httpStatus(ErrorCode.CLOSED));
    assertEquals(500, Errors.httpStatus(ErrorCode.INTERNAL));
    assertEquals(500, Errors.httpStatus(ErrorCode.INTERCEPTOR_FAILED));
    for (String badInput : new String[] {ErrorCode.INVALID_JSON, ErrorCode.INVALID_MESSAGE,
        ErrorCode.UNKNOWN_ACTION, ErrorCode.INVALID_KEY, ErrorCode.TOO_DEEP,
        ErrorCode.INVALID_MUTATION, ErrorCode.INVALID_QUERY}) {
      assertEquals(400, Errors.httpStatus(badInput), badInput);
    }
  }

  @Test
  void anyFailureBecomesACodeAndAMessage() {
    KoraException denied = new KoraException(ErrorCode.DENIED, "no");
    assertSame(denied, Errors.asKora(denied));
    KoraException internal = Errors.asKora(new IllegalStateException("boom"));
    assertEquals(ErrorCode.INTERNAL, internal.code());
    assertTrue(internal.getMessage().contains("boom"));
    assertEquals(new JsonObject().put("code", "denied").put("message", "no"),
        Errors.toJson(denied));
    assertEquals(ErrorCode.DENIED, Errors.fromJson(Errors.toJson(denied)).code());
    assertEquals(ErrorCode.INTERNAL, Errors.fromJson(new JsonObject()).code());
    assertEquals(new Frame.Error(5, "denied", "no"), Errors.frame(5, denied));
  }

  @Test
  void eventBusRepliesCarryTheCodeAndTravelAsJson() {
    KoraReplyException reply = KoraReplyException.of(new KoraException(ErrorCode.TOO_LARGE, "big"));
    assertEquals(ErrorCode.TOO_LARGE, reply.code());
    assertEquals(413, reply.failureCode());
    assertEquals("big", reply.getMessage());
    assertEquals(ErrorCode.TOO_LARGE, Errors.asKora(reply).code());
    KoraReplyException.Codec codec = new KoraReplyException.Codec();
    Buffer wire = Buffer.buffer().appendString("xx");
    codec.encodeToWire(wire, reply);
    KoraReplyException back = codec.decodeFromWire(2, wire);
    assertEquals(reply.code(), back.code());
    assertEquals(reply.getMessage(), back.getMessage());
    assertEquals(reply.failureCode(), back.failureCode());
    assertSame(reply, codec.transform(reply));
  }

  @Test
  void actionNamesInBothDialects() {
    assertEquals("riptide.query", Action.QUERY.wireName(Dialect.RIPTIDE));
    assertEquals("kora.mutation", Action.MUTATION.wireName(Dialect.KORA));
    assertSame(Action.SUBSCRIBE, Action.of("riptide.subscribe"));
    assertEquals(null, Action.of("kora.nothing"));
    assertEquals(null, Action.of("todo.login"));
    assertTrue(Dialect.isReserved("kora.anything"));
    assertTrue(Dialect.isReserved("riptide.x"));
    assertEquals(false, Dialect.isReserved("todo.login"));
  }
}
