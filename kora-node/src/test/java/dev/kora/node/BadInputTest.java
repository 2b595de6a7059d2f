package dev.kora.node;

import static dev.kora.testkit.TestJson.assertJson;
import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.TestSocket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every error code of PROTOCOL.md that the node produces, over a real socket. After each bad input the
 * same connection still answers, and a refused mutation leaves nothing behind.
 */
@ExtendWith(VertxExtension.class)
class BadInputTest {

  private static final int LIMIT = 64 * 1024;

  private KoraNode node;
  private TestSocket client;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext context) {
    TestNodes.start(vertx, TestNodes.memoryOptions().setMaxFrameBytes(LIMIT)).compose(started -> {
      node = started;
      return TestSocket.connect(vertx, node.actualPort());
    }).onComplete(context.succeeding(socket -> {
      client = socket;
      context.completeNow();
    }));
  }

  /** One bad input: how it is sent and what must come back. */
  private record Case(String name, Supplier<Future<JsonObject>> send, String code, Object key) {
  }

  /** A frame without a usable key: the error arrives as an unsolicited frame. */
  private Case keyless(String name, String text, String code) {
    return new Case(name, () -> client.send(text).compose(v -> client.next()), code, null);
  }

  /** A frame with key {@code key}: the error is matched to it. */
  private Case keyed(String name, JsonObject frame, String code) {
    return new Case(name, () -> client.callFrame(frame), code, frame.getValue("key"));
  }

  /** A call of {@code action} with {@code body}. */
  private Case call(String name, String action, Object body, String code) {
    return new Case(name, () -> client.call(action, body), code, "any");
  }

  /**
   * Sends each case in turn on the same connection; checks the error frame's code and key, then that
   * the connection still answers a ping and that nothing else arrived.
   */
  private Future<Void> run(List<Case> cases) {
    Future<Void> chain = Future.succeededFuture();
    for (Case c : cases) {
      chain = chain.compose(v -> c.send().get()).compose(frame -> {
        String where = c.name() + ": " + TestSocket.abbreviate(frame.encode());
        assertEquals("error", frame.getString("type"), where);
        assertEquals(c.code(), frame.getJsonObject("body").getString("code"), where);
        String message = frame.getJsonObject("body").getString("message");
        assertTrue(message != null && !message.isBlank(), "a human message: " + where);
        if (!"any".equals(c.key())) {
          Object key = frame.getValue("key");
          Object expected = c.key();
          if (key instanceof Number && expected instanceof Number) {
            assertEquals(((Number) expected).longValue(), ((Number) key).longValue(), where);
          } else {
            assertEquals(expected, key, where);
          }
        }
        return client.expectNothingMore().recover(e -> Future.failedFuture(
            new AssertionError("after " + c.name() + ": " + e.getMessage(), e)));
      });
    }
    return chain;
  }

  /** Checks that nothing is stored at the root (no partial write). */
  private Future<Void> nothingStored() {
    return client.query(new JsonObject()).map(body -> {
      assertJson(json("{'merge':{},'delete':{}}"), body, "the tree is still empty");
      return null;
    });
  }

  private static String repeat(String s, int n) {
    return s.repeat(n);
  }

  /** A merge with a leaf {@code depth} keys deep. */
  private static JsonObject nested(int depth, Object leaf) {
    Object node = leaf;
    for (int i = depth - 1; i >= 0; i--) {
      node = new JsonObject().put("k" + i, node);
    }
    return (JsonObject) node;
  }

  @Test
  void framesThatAreNotJsonObjectsOrLackTheirShape(VertxTestContext context) {
    List<Case> cases = List.of(
        keyless("not JSON", "not json", "invalid_json"),
        keyless("truncated JSON", "{\"type\":\"call\",\"key\":5,", "invalid_json"),
        keyless("empty text", "", "invalid_json"),
        keyless("an array frame", "[{\"type\":\"call\",\"key\":1,\"action\":\"kora.ping\"}]",
            "invalid_message"),
        keyless("a number frame", "42", "invalid_message"),
        keyless("a string frame", "\"call\"", "invalid_message"),
        keyless("a null frame", "null", "invalid_message"),
        keyed("missing type", json("{'key':1,'action':'kora.ping'}"), "invalid_message"),
        keyed("unknown type", json("{'type':'bogus','key':2,'action':'kora.ping'}"),
            "invalid_message"),
        keyed("a client sending a reply", json("{'type':'reply','key':3,'body':1}"),
            "invalid_message"),
        keyless("call without key", "{\"type\":\"call\",\"action\":\"kora.ping\"}",
            "invalid_message"),
        keyless("call with a null key", "{\"type\":\"call\",\"key\":null,\"action\":\"kora.ping\"}",
            "invalid_message"),
        keyless("call with an object key",
            "{\"type\":\"call\",\"key\":{\"k\":1},\"action\":\"kora.ping\"}", "invalid_message"),
        keyed("non-string action", json("{'type':'call','key':4,'action':5}"), "invalid_message"),
        keyed("missing action", json("{'type':'call','key':6}"), "invalid_message"),
        new Case("binary frame", () -> client.sendBinary(Buffer.buffer(
            "{\"type\":\"call\",\"key\":9,\"action\":\"kora.ping\"}")).compose(v -> client.next()),
            "invalid_message", null));
    run(cases).compose(v -> client.request("riptide.ping", null))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void unknownActionsAnswerWithTheirKey(VertxTestContext context) {
    List<Case> cases = List.of(
        keyed("unknown kora action", json("{'type':'call','key':7,'action':'kora.nope'}"),
            "unknown_action"),
        keyed("string key", json("{'type':'call','key':'k-8','action':'riptide.nope'}"),
            "unknown_action"),
        keyed("no prefix", json("{'type':'call','key':10,'action':'ping'}"), "unknown_action"),
        keyed("foreign prefix", json("{'type':'call','key':11,'action':'other.ping'}"),
            "unknown_action"),
        keyed("empty name", json("{'type':'call','key':12,'action':'kora.'}"), "unknown_action"),
        keyed("case matters", json("{'type':'call','key':13,'action':'KORA.PING'}"),
            "unknown_action"));
    run(cases).onComplete(context.succeedingThenComplete());
  }

  @Test
  void invalidKeysAnywhere(VertxTestContext context) {
    String tooLong = repeat("k", 769);
    String tooLongUtf8 = repeat("é", 385); // 770 UTF-8 bytes, 385 chars
    List<Case> cases = List.of(
        call("empty key", "kora.mutation", json("{'merge':{'':1}}"), "invalid_key"),
        call("empty nested key", "kora.mutation", json("{'merge':{'a':{'':1}}}"), "invalid_key"),
        call("control char", "kora.mutation", new JsonObject().put("merge",
            new JsonObject().put("a\u0001b", 1)), "invalid_key"),
        call("NUL", "kora.mutation", new JsonObject().put("merge",
            new JsonObject().put("a\u0000", 1)), "invalid_key"),
        call("DEL", "kora.mutation", new JsonObject().put("merge",
            new JsonObject().put("\u007f", 1)), "invalid_key"),
        call("newline in a delete", "kora.mutation", new JsonObject().put("delete",
            new JsonObject().put("a\nb", 1)), "invalid_key"),
        call("slash", "kora.mutation", json("{'merge':{'a/b':1}}"), "invalid_key"),
        call("slash in a delete", "riptide.mutation", json("{'delete':{'x':{'a/b':1}}}"),
            "invalid_key"),
        call("769 bytes", "kora.mutation", new JsonObject().put("merge",
            new JsonObject().put(tooLong, 1)), "invalid_key"),
        call("770 UTF-8 bytes in 385 chars", "kora.mutation", new JsonObject().put("merge",
            new JsonObject().put(tooLongUtf8, 1)), "invalid_key"),
        call("slash in a query", "kora.query", json("{'a/b':{}}"), "invalid_key"),
        call("empty key in a subscribe", "kora.subscribe", json("{'a':{'':{}}}"), "invalid_key"),
        call("control char in an unsubscribe", "kora.unsubscribe", new JsonObject().put("a\u0002",
            new JsonObject()), "invalid_key"));
    run(cases).compose(v -> nothingStored())
        .compose(v -> client.request("kora.mutation", new JsonObject().put("merge",
            new JsonObject().put(repeat("k", 768), 1).put(repeat("é", 384), 2))))
        .map(ok -> {
          assertTrue(((JsonObject) ok).getLong("version") > 0, "768-byte keys are allowed");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void pathsDeeperThan32Keys(VertxTestContext context) {
    List<Case> cases = List.of(
        call("33-deep merge", "kora.mutation", new JsonObject().put("merge", nested(33, 1)),
            "too_deep"),
        call("33-deep delete", "kora.mutation", new JsonObject().put("delete", nested(33, 1)),
            "too_deep"),
        call("33-deep null in merge", "kora.mutation", new JsonObject().put("merge",
            nested(33, null)), "too_deep"),
        call("33-deep query", "kora.query", nested(33, new JsonObject()), "too_deep"),
        call("33-deep subscribe", "riptide.subscribe", nested(33, new JsonObject()), "too_deep"));
    run(cases).compose(v -> nothingStored())
        .compose(v -> client.request("kora.mutation", new JsonObject().put("merge", nested(32, 1))))
        .compose(ok -> {
          assertTrue(((JsonObject) ok).getLong("version") > 0, "32 keys are allowed");
          return client.query(nested(32, new JsonObject()));
        })
        .map(body -> {
          assertJson(nested(32, 1), ((JsonObject) body).getJsonObject("merge"), "32-deep leaf");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void malformedMutations(VertxTestContext context) {
    List<Case> cases = List.of(
        call("delete leaf 2", "kora.mutation", json("{'delete':{'a':2}}"), "invalid_mutation"),
        call("delete leaf '1'", "kora.mutation", json("{'delete':{'a':'1'}}"), "invalid_mutation"),
        call("delete leaf true", "kora.mutation", json("{'delete':{'a':{'b':true}}}"),
            "invalid_mutation"),
        call("delete leaf null", "kora.mutation", json("{'delete':{'a':null}}"),
            "invalid_mutation"),
        call("unknown field", "kora.mutation", json("{'merge':{'a':1},'set':{'b':1}}"),
            "invalid_mutation"),
        call("merge not an object", "kora.mutation", json("{'merge':'a'}"), "invalid_mutation"),
        call("delete an array", "kora.mutation", json("{'delete':['a']}"), "invalid_mutation"),
        call("body not an object", "kora.mutation", 5, "invalid_mutation"),
        call("body an array", "riptide.mutation", new io.vertx.core.json.JsonArray().add(1),
            "invalid_mutation"));
    run(cases).compose(v -> nothingStored()).onComplete(context.succeedingThenComplete());
  }

  @Test
  void malformedQueries(Vertx vertx, VertxTestContext context) {
    List<Case> cases = List.of(
        call("unknown option", "kora.query", json("{'a':{'bogus':1}}"), "invalid_query"),
        call("negative limit", "kora.query", json("{'a':{'limit':-1}}"), "invalid_query"),
        call("negative limit as a string", "kora.query", json("{'a':{'limit':'-1'}}"),
            "invalid_query"),
        call("fractional limit", "kora.query", json("{'a':{'limit':1.5}}"), "invalid_query"),
        call("limit not a number", "kora.query", json("{'a':{'limit':'ten'}}"), "invalid_query"),
        call("numeric min", "kora.query", json("{'a':{'min':5}}"), "invalid_query"),
        call("subscribe not a boolean", "kora.query", json("{'a':{'subscribe':'yes'}}"),
            "invalid_query"),
        call("options mixed with paths", "kora.query", json("{'a':{'limit':1,'b':{}}}"),
            "invalid_query"),
        call("unknown option in a subscribe", "riptide.subscribe", json("{'a':{'x':1}}"),
            "invalid_query"),
        call("body not an object", "kora.query", "a", "invalid_query"));
    run(cases).compose(v -> TestNodes.eventually(vertx, node, 1_000,
            () -> TestNodes.subscriptionCount(node) == 0, "no subscription from a refused query"))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void refusedMutationsLeaveNothingBehind(VertxTestContext context) {
    List<Case> cases = List.of(
        call("one good leaf, one bad key", "kora.mutation",
            json("{'merge':{'p':{'good':1,'bad/key':2}}}"), "invalid_key"),
        call("bad key in a later branch", "kora.mutation",
            json("{'merge':{'a':{'ok':1},'z':{'':1}}}"), "invalid_key"),
        call("good merge, bad delete", "kora.mutation",
            json("{'merge':{'p':{'good':1}},'delete':{'keep':2}}"), "invalid_mutation"),
        call("good delete, bad merge key", "kora.mutation",
            json("{'delete':{'keep':1},'merge':{'x':{'a/b':1}}}"), "invalid_key"),
        call("good merge, too deep sibling", "kora.mutation", new JsonObject().put("merge",
            new JsonObject().put("p", new JsonObject().put("good", 1)).mergeIn(nested(33, 1))),
            "too_deep"),
        call("good merge, unknown field", "kora.mutation",
            json("{'merge':{'p':{'good':1}},'extra':1}"), "invalid_mutation"));
    client.request("kora.mutation", json("{'merge':{'keep':{'me':true}}}"))
        .compose(v -> run(cases))
        .compose(v -> client.query(new JsonObject()))
        .map(body -> {
          assertJson(json("{'merge':{'keep':{'me':true}},'delete':{}}"), body,
              "only the data written before the refused mutations");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void badCastsGetNoAnswerAndChangeNothing(VertxTestContext context) {
    List<String> casts = List.of(
        "{\"type\":\"cast\",\"action\":\"kora.mutation\",\"body\":{\"merge\":{\"a/b\":1}}}",
        "{\"type\":\"cast\",\"action\":\"kora.mutation\",\"body\":{\"delete\":{\"a\":2}}}",
        "{\"type\":\"cast\",\"action\":\"kora.nope\"}",
        "{\"type\":\"cast\",\"action\":\"kora.query\",\"body\":{\"a\":{\"limit\":-1}}}");
    Future<Void> chain = Future.succeededFuture();
    for (String cast : casts) {
      chain = chain.compose(v -> client.send(cast));
    }
    chain.compose(v -> client.expectNothingMore())
        .compose(v -> nothingStored())
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void framesOverTheLimitAreAnsweredWithTooLargeAndNothingIsApplied(VertxTestContext context) {
    JsonObject big = new JsonObject().put("type", "call").put("key", 99)
        .put("action", "kora.mutation")
        .put("body", new JsonObject().put("merge", new JsonObject().put("big",
            new JsonObject().put("v", repeat("x", LIMIT + 1000)))));
    // 40,000 two-byte characters: 40,000 chars (under the limit) but 80,000 UTF-8 bytes (over it).
    JsonObject wide = new JsonObject().put("type", "call").put("key", 101)
        .put("action", "kora.mutation")
        .put("body", new JsonObject().put("merge", new JsonObject().put("wide",
            repeat("é", 40_000))));
    JsonObject justUnder = new JsonObject().put("type", "call").put("key", 100)
        .put("action", "kora.mutation")
        .put("body", new JsonObject().put("merge", new JsonObject().put("fits",
            repeat("y", LIMIT - 200))));
    List<Case> cases = List.of(
        keyed("one byte-heavy text frame", big, "too_large"),
        keyed("more UTF-8 bytes than the limit in fewer chars", wide, "too_large"));
    run(cases)
        .compose(v -> nothingStored())
        .compose(v -> client.callFrame(justUnder))
        .map(frame -> {
          assertEquals("reply", frame.getString("type"),
              () -> "a frame just under the limit is accepted: " + frame.getValue("body"));
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void tooLargeCarriesAStringKeyToo(VertxTestContext context) {
    // Calls may use string keys; the too_large answer must still reach the caller's pending call.
    JsonObject big = new JsonObject().put("type", "call").put("key", "big \"one\"")
        .put("action", "kora.mutation")
        .put("body", new JsonObject().put("merge", new JsonObject().put("s",
            repeat("s", LIMIT + 10))));
    run(List.of(keyed("string key", big, "too_large")))
        .compose(v -> nothingStored())
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void anOversizedMessageSentInFragmentsIsAnsweredWithTooLarge(Vertx vertx,
      VertxTestContext context) {
    // The client splits messages into 8 KiB frames; the node sees a 100 KB message in continuation
    // frames.
    TestSocket.connect(vertx, node.actualPort(), new WebSocketClientOptions().setMaxFrameSize(8192))
        .compose(fragmenting -> fragmenting.callFrame(new JsonObject().put("type", "call")
                .put("key", 5).put("action", "kora.mutation").put("body", new JsonObject()
                    .put("merge", new JsonObject().put("frag", repeat("z", 100_000)))))
            .compose(frame -> {
              assertEquals("too_large", frame.getJsonObject("body").getString("code"),
                  frame.encode());
              assertEquals(5, frame.getInteger("key"));
              return fragmenting.request("kora.ping", null);
            }))
        .compose(v -> nothingStored())
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void aMessageOverTwiceTheLimitClosesTheConnection(Vertx vertx, VertxTestContext context) {
    // docs/protocol.md: beyond twice maxFrameBytes the WebSocket layer refuses the message itself and
    // closes the connection with status 1009; the node keeps serving other connections. The server
    // closes while the rest of the message is still unread, so the TCP connection is reset and the
    // client may see the close frame's 1009 or only an abnormal closure (1006).
    JsonObject huge = new JsonObject().put("type", "call").put("key", 1)
        .put("action", "kora.mutation")
        .put("body", new JsonObject().put("merge", new JsonObject().put("huge",
            repeat("h", 2 * LIMIT + 10))));
    client.send(huge.encode())
        .compose(v -> client.closed())
        .compose(status -> {
          assertTrue(status == 1009 || status == 1006, "close status 1009 or 1006, was " + status);
          return TestSocket.connect(vertx, node.actualPort());
        })
        .compose(fresh -> fresh.query(new JsonObject()))
        .map(body -> {
          assertJson(json("{'merge':{},'delete':{}}"), body, "nothing of the huge frame applied");
          assertTrue(client.isClosed());
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }
}
