package dev.kora.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kora.tree.ErrorCode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The frames' JSON text both ways, and every way a request frame can be refused. */
class FrameCodecTest {

  private static final int LIMIT = 1_000;

  @Test
  void encodesEachFrameWithItsFieldsInProtocolOrder() {
    assertEquals("{\"type\":\"call\",\"key\":1,\"action\":\"kora.query\",\"body\":{\"a\":{}}}",
        FrameCodec.encode(new Frame.Call(1, "kora.query", new JsonObject().put("a",
            new JsonObject()))));
    assertEquals("{\"type\":\"cast\",\"action\":\"riptide.mutation\",\"body\":null}",
        FrameCodec.encode(new Frame.Cast("riptide.mutation", null)));
    assertEquals("{\"type\":\"reply\",\"key\":\"k\",\"body\":\"ok\"}",
        FrameCodec.encode(new Frame.Reply("k", "ok")));
    assertEquals("{\"type\":\"error\",\"key\":null,\"body\":{\"code\":\"invalid_json\","
        + "\"message\":\"m\"}}", FrameCodec.encode(new Frame.Error(null, "invalid_json", "m")));
  }

  @Test
  void repliesToWritesAreEncodedAsJacksonEncodesThem() {
    io.vertx.core.json.jackson.JacksonCodec jackson = new io.vertx.core.json.jackson.JacksonCodec();
    for (Object key : new Object[] {7L, 12, "k", "a\"b\u0001é"}) {
      for (Object body : new Object[] {"ok", 42L, 7, new JsonObject().put("version", 9L)}) {
        JsonObject frame = new JsonObject().put("type", "reply").put("key", key)
            .put("body", body);
        assertEquals(jackson.toString(frame, false), FrameCodec.encode(new Frame.Reply(key, body)),
            () -> key + " " + body);
      }
    }
  }

  @Test
  void decodesCallsAndCasts() {
    Frame.Call call = assertInstanceOf(Frame.Call.class, FrameCodec.decodeRequest(
        "{\"type\":\"call\",\"key\":7,\"action\":\"kora.ping\"}", LIMIT));
    assertEquals(7, ((Number) call.key()).intValue());
    assertEquals("kora.ping", call.action());
    assertNull(call.body());
    Frame.Cast cast = assertInstanceOf(Frame.Cast.class, FrameCodec.decodeRequest(
        "{\"type\":\"cast\",\"action\":\"riptide.mutation\",\"body\":{\"merge\":{}}}", LIMIT));
    assertEquals(new JsonObject().put("merge", new JsonObject()), cast.body());
  }

  @Test
  void refusesWhatIsNotARequestWithACodeAndTheKeyWhenItIsKnown() {
    assertRefused("{nope", ErrorCode.INVALID_JSON, null);
    assertRefused("[1,2]", ErrorCode.INVALID_MESSAGE, null);
    assertRefused("{\"type\":\"reply\",\"key\":3,\"action\":\"x\"}", ErrorCode.INVALID_MESSAGE, 3);
    assertRefused("{\"type\":\"call\",\"action\":\"x\"}", ErrorCode.INVALID_MESSAGE, null);
    assertRefused("{\"type\":\"call\",\"key\":[1],\"action\":\"x\"}", ErrorCode.INVALID_MESSAGE,
        null);
    assertRefused("{\"type\":\"call\",\"key\":4,\"action\":5}", ErrorCode.INVALID_MESSAGE, 4);
    assertRefused("{\"type\":\"cast\",\"key\":4,\"action\":5}", ErrorCode.INVALID_MESSAGE, null);
  }

  @Test
  void aFrameOverTheLimitIsAnsweredUnderTheKeyFoundAtItsStart() {
    String big = "x".repeat(LIMIT);
    assertRefused("{\"type\":\"call\",\"key\":12,\"action\":\"a\",\"body\":\"" + big + "\"}",
        ErrorCode.TOO_LARGE, 12L);
    assertRefused("{\"key\":\"s\\\"1\",\"type\":\"call\",\"body\":\"" + big + "\"}",
        ErrorCode.TOO_LARGE, "s\"1");
    // multi-byte characters count as their UTF-8 bytes
    String wide = "é".repeat(LIMIT / 2 + 1);
    assertRefused("{\"type\":\"cast\",\"action\":\"a\",\"body\":\"" + wide + "\"}",
        ErrorCode.TOO_LARGE, null);
  }

  @Test
  void decodesAnswers() {
    assertEquals(new Frame.Reply(1, "ok"), FrameCodec.decodeAnswer(
        "{\"type\":\"reply\",\"key\":1,\"body\":\"ok\"}"));
    assertEquals(new Frame.Error(2, "denied", "no"), FrameCodec.decodeAnswer(
        "{\"type\":\"error\",\"key\":2,\"body\":{\"code\":\"denied\",\"message\":\"no\"}}"));
    assertInstanceOf(Frame.Cast.class, FrameCodec.decodeAnswer(
        "{\"type\":\"cast\",\"action\":\"kora.mutation\",\"body\":{}}"));
    FrameException e = assertThrows(FrameException.class,
        () -> FrameCodec.decodeAnswer("{\"type\":\"call\",\"key\":1,\"action\":\"a\"}"));
    assertEquals(ErrorCode.INVALID_MESSAGE, e.code());
  }

  @Test
  void parsesLikeVertxWithCommentsAllowed() {
    assertEquals(new JsonObject().put("a", 1), FrameCodec.parse("{/* c */ \"a\": 1}"));
  }

  private static void assertRefused(String text, String code, Object key) {
    FrameException e = assertThrows(FrameException.class,
        () -> FrameCodec.decodeRequest(text, LIMIT));
    assertEquals(code, e.code(), e.getMessage());
    assertEquals(key, e.key());
    assertEquals(code, e.toFrame().code());
  }
}
