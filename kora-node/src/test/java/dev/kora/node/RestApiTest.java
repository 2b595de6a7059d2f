package dev.kora.node;

import static dev.kora.testkit.TestJson.assertJson;
import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.EventStream;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** REST on {@code /tree/<path>} and server-sent events, over a real HTTP connection. */
@ExtendWith(VertxExtension.class)
class RestApiTest {

  private static final int LIMIT = 64 * 1024;

  private KoraNode node;
  // Strong reference: Vert.x 5 closes clients that become unreachable.
  private HttpClient http;

  /** A finished HTTP exchange. */
  private record Response(int status, String contentType, String body) {
    Object json() {
      return Json.decodeValue(body);
    }

    /** Asserts an error answer: the status and the {@code code} of its JSON body. */
    void assertError(int expectedStatus, String expectedCode, String what) {
      assertEquals(expectedStatus, status, what + ": " + body);
      assertTrue(contentType != null && contentType.startsWith("application/json"), what);
      JsonObject error = new JsonObject(body);
      assertEquals(expectedCode, error.getString("code"), what + ": " + body);
      assertTrue(error.getString("message") != null && !error.getString("message").isBlank(),
          what + ": a message");
    }
  }

  @BeforeEach
  void start(Vertx vertx, VertxTestContext context) {
    http = vertx.createHttpClient();
    TestNodes.start(vertx, TestNodes.memoryOptions().setMaxFrameBytes(LIMIT))
        .onComplete(context.succeeding(started -> {
          node = started;
          context.completeNow();
        }));
  }

  private Future<Response> send(HttpMethod method, String uri, String body) {
    return http.request(method, node.actualPort(), "127.0.0.1", uri)
        .compose(request -> body == null ? request.send()
            : request.putHeader("Content-Type", "application/json").send(body))
        .compose(response -> response.body().map(bytes -> new Response(response.statusCode(),
            response.getHeader("Content-Type"), bytes.toString())));
  }

  /** Sends and checks a 200 with the JSON body {@code "ok"}. */
  private Future<Void> ok(HttpMethod method, String uri, String body) {
    return send(method, uri, body).map(response -> {
      assertEquals(200, response.status(), () -> method + " " + uri + ": " + response.body());
      assertEquals("ok", response.json(), method + " " + uri);
      return null;
    });
  }

  /** GETs and checks the JSON value. */
  private Future<Void> get(String uri, Object expected) {
    return send(HttpMethod.GET, uri, null).map(response -> {
      assertEquals(200, response.status(), () -> "GET " + uri + ": " + response.body());
      assertTrue(response.contentType().startsWith("application/json"), response.contentType());
      assertJson(expected, response.json(), "GET " + uri);
      return null;
    });
  }

  /**
   * @param event an SSE event
   * @return its data without the version, which must be there and equal the event's id
   */
  private static JsonObject data(JsonObject event) {
    JsonObject data = new JsonObject(event.getString("data"));
    Object version = data.remove("version");
    assertEquals(event.getString("id"), String.valueOf(version), "the event id is the version");
    return data;
  }

  @Test
  void putGetPatchAndDelete(VertxTestContext context) {
    ok(HttpMethod.PUT, "/tree/users/dax", "{\"name\":\"Dax\",\"age\":30}")
        .compose(v -> get("/tree/users/dax", json("{'name':'Dax','age':30}")))
        .compose(v -> ok(HttpMethod.PATCH, "/tree/users/dax", "{\"email\":\"d@x\",\"age\":31}"))
        .compose(v -> get("/tree/users/dax", json("{'name':'Dax','age':31,'email':'d@x'}")))
        .compose(v -> get("/tree/users/dax/age", 31))
        .compose(v -> get("/tree/users", json("{'dax':{'name':'Dax','age':31,'email':'d@x'}}")))
        .compose(v -> ok(HttpMethod.PUT, "/tree/users/dax", "{\"name\":\"D\"}"))
        .compose(v -> get("/tree/users/dax", json("{'name':'D'}")))
        .compose(v -> ok(HttpMethod.PATCH, "/tree/users/dax/name", "null"))
        .compose(v -> get("/tree/users/dax", null))
        .compose(v -> ok(HttpMethod.PATCH, "/tree/counter", "5"))
        .compose(v -> get("/tree/counter", 5))
        .compose(v -> ok(HttpMethod.PATCH, "/tree/counter/now", "[1,2]"))
        .compose(v -> get("/tree/counter", json("{'now':[1,2]}")))
        .compose(v -> ok(HttpMethod.DELETE, "/tree/counter", null))
        .compose(v -> get("/tree/counter", null))
        .compose(v -> get("/tree", new JsonObject()))
        .compose(v -> ok(HttpMethod.PATCH, "/tree", "{\"a\":{\"b\":1},\"c\":2}"))
        .compose(v -> get("/tree/", json("{'a':{'b':1},'c':2}")))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void keysArePercentDecodedOnePathSegmentEach(VertxTestContext context) {
    ok(HttpMethod.PUT, "/tree/user%3Ainfo/first%20name", "\"Dax\"")
        .compose(v -> ok(HttpMethod.PUT, "/tree/caf%C3%A9/a+b/100%25", "1"))
        .compose(v -> node.query(Query.of(Path.of("user:info"), QueryOptions.WHOLE)))
        .compose(answer -> {
          assertJson(json("{'user:info':{'first name':'Dax'}}"), answer.merge(),
              "stored under the decoded keys");
          return node.query(Query.of(Path.of("café", "a+b", "100%"), QueryOptions.WHOLE));
        })
        .compose(answer -> {
          assertJson(json("{'café':{'a+b':{'100%':1}}}"), answer.merge(), "'+' stays '+'");
          return get("/tree/user:info", json("{'first name':'Dax'}"));
        })
        .compose(v -> get("/tree/user%3ainfo/first%20name", "Dax"))
        .compose(v -> get("/tree//user:info//first%20name/", "Dax"))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void minMaxAndLimitBoundTheChildren(VertxTestContext context) {
    ok(HttpMethod.PUT, "/tree/list", "{\"a\":1,\"b\":{\"x\":{\"y\":2}},\"c\":3,\"d\":4,\"é\":5}")
        .compose(v -> get("/tree/list?min=b&max=d", json("{'b':{'x':{'y':2}},'c':3}")))
        .compose(v -> get("/tree/list?limit=2", json("{'a':1,'b':{'x':{'y':2}}}")))
        .compose(v -> get("/tree/list?min=c&limit=1", json("{'c':3}")))
        .compose(v -> get("/tree/list?min=%C3%A9", json("{'é':5}")))
        .compose(v -> get("/tree/list?max=b", json("{'a':1}")))
        .compose(v -> get("/tree/list?min=d&max=e", json("{'d':4}")))
        .compose(v -> get("/tree/list?min=%C3%AA", null))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void errorsAnswerJsonWithAStatus(VertxTestContext context) {
    String deep = "/tree" + "/k".repeat(33);
    send(HttpMethod.GET, "/tree/a%2Fb", null)
        .compose(r -> {
          r.assertError(400, "invalid_key", "%2F decodes to a '/' inside a key");
          return send(HttpMethod.PATCH, "/tree/a%2Fb", "1");
        })
        .compose(r -> {
          r.assertError(400, "invalid_key", "PATCH at %2F");
          return ok(HttpMethod.PUT, "/tree/keep", "{\"x\":1}");
        })
        .compose(v -> send(HttpMethod.PATCH, "/tree/keep", ""))
        .compose(r -> {
          r.assertError(400, "invalid_json", "PATCH without a body");
          return send(HttpMethod.PUT, "/tree/keep", null);
        })
        .compose(r -> {
          r.assertError(400, "invalid_json", "PUT without a body");
          return get("/tree/keep", json("{'x':1}"));
        })
        .compose(v -> ok(HttpMethod.DELETE, "/tree/keep", null))
        .compose(v -> send(HttpMethod.GET, "/tree/a%ZZ", null))
        .compose(r -> {
          r.assertError(400, "invalid_key", "malformed escape");
          return send(HttpMethod.DELETE, "/tree/a/b%", null);
        })
        .compose(r -> {
          r.assertError(400, "invalid_key", "a lone %");
          return send(HttpMethod.GET, "/tree/%C3", null);
        })
        .compose(r -> {
          r.assertError(400, "invalid_key", "escapes that are not UTF-8");
          return send(HttpMethod.GET, "/tree/a%01", null);
        })
        .compose(r -> {
          r.assertError(400, "invalid_key", "a control character");
          return send(HttpMethod.GET, deep, null);
        })
        .compose(r -> {
          r.assertError(400, "too_deep", "33 keys");
          return send(HttpMethod.PATCH, "/tree/x", "{not json");
        })
        .compose(r -> {
          r.assertError(400, "invalid_json", "a body that is not JSON");
          return send(HttpMethod.PATCH, "/tree/x", "{\"good\":1,\"bad/key\":2}");
        })
        .compose(r -> {
          r.assertError(400, "invalid_key", "a bad key in the body");
          return send(HttpMethod.PATCH, "/tree" + "/k".repeat(31), "{\"a\":{\"b\":1}}");
        })
        .compose(r -> {
          r.assertError(400, "too_deep", "a body that makes the path too deep");
          return send(HttpMethod.GET, "/tree/x?limit=-1", null);
        })
        .compose(r -> {
          r.assertError(400, "invalid_query", "negative limit");
          return send(HttpMethod.GET, "/tree/x?limit=ten", null);
        })
        .compose(r -> {
          r.assertError(400, "invalid_query", "limit not a number");
          return send(HttpMethod.DELETE, "/tree", null);
        })
        .compose(r -> {
          r.assertError(400, "invalid_mutation", "deleting the root");
          return send(HttpMethod.PUT, "/tree", "{\"a\":1}");
        })
        .compose(r -> {
          r.assertError(400, "invalid_mutation", "replacing the root");
          return send(HttpMethod.GET, "/elsewhere", null);
        })
        .compose(r -> {
          r.assertError(404, "not_found", "outside /tree");
          return get("/tree", new JsonObject());
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void aBodyOverTheLimitIs413TooLarge(VertxTestContext context) {
    String big = "{\"v\":\"" + "x".repeat(LIMIT + 100) + "\"}";
    send(HttpMethod.PATCH, "/tree/big", big)
        .compose(r -> {
          r.assertError(413, "too_large", "a body over maxFrameBytes");
          return send(HttpMethod.PUT, "/tree/big", big);
        })
        .compose(r -> {
          r.assertError(413, "too_large", "PUT");
          return get("/tree/big", null);
        })
        .compose(v -> ok(HttpMethod.PATCH, "/tree/small", "{\"v\":\"" + "x".repeat(LIMIT - 100)
            + "\"}"))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void restWritesArePushedToSocketSubscribers(Vertx vertx, VertxTestContext context) {
    TestSocket.connect(vertx, node.actualPort())
        .compose(socket -> socket.request("kora.subscribe", json("{'r':{}}"))
            .compose(v -> ok(HttpMethod.PATCH, "/tree/r/x", "{\"y\":1}"))
            .compose(v -> socket.nextCast())
            .compose(cast -> {
              JsonObject body = cast.getJsonObject("body").copy();
              assertTrue(body.remove("version") instanceof Number, "kora. pushes carry versions");
              assertJson(json("{'merge':{'r':{'x':{'y':1}}},'delete':{}}"), body, "PATCH pushed");
              return ok(HttpMethod.PUT, "/tree/r/x", "{\"z\":2}");
            })
            .compose(v -> socket.nextCast())
            .map(cast -> {
              JsonObject copy = json("{'r':{'x':{'y':1}}}");
              JsonObject body = cast.getJsonObject("body");
              Mutation.of(body.getJsonObject("merge"), body.getJsonObject("delete")).applyTo(copy);
              assertJson(json("{'r':{'x':{'z':2}}}"), copy, "PUT replaced the subtree atomically");
              return null;
            }))
        .onComplete(context.succeedingThenComplete());
  }

  /** Reads server-sent events from a streaming response, one awaited event at a time. */
  private Future<EventStream> stream(Vertx vertx, String uri) {
    return http.request(HttpMethod.GET, node.actualPort(), "127.0.0.1", uri)
        .compose(request -> request.putHeader("Accept", "text/event-stream").send())
        .map(response -> {
          assertEquals(200, response.statusCode());
          assertTrue(response.getHeader("Content-Type").startsWith("text/event-stream"));
          return new EventStream(vertx, response, TestSocket.TIMEOUT_MS);
        });
  }

  @Test
  void serverSentEventsStartWithTheAnswerThenStreamLaterWrites(Vertx vertx,
      VertxTestContext context) {
    ok(HttpMethod.PUT, "/tree/feed/x", "1")
        .compose(v -> ok(HttpMethod.PUT, "/tree/other", "1"))
        .compose(v -> stream(vertx, "/tree/feed"))
        .compose(events -> events.next()
            .compose(first -> {
              assertEquals("mutation", first.getString("event"));
              JsonObject copy = new JsonObject();
              assertJson(json("{'merge':{'feed':{'x':1}},'delete':{'feed':1}}"),
                  data(first), "the first event is the answer");
              Mutation.fromJson(data(first)).applyTo(copy);
              return ok(HttpMethod.PATCH, "/tree/other", "2")
                  .compose(v -> ok(HttpMethod.PATCH, "/tree/feed/y", "{\"z\":2}"))
                  .compose(v -> events.next())
                  .compose(second -> {
                    assertEquals("mutation", second.getString("event"));
                    assertTrue(Long.parseLong(second.getString("id")) > 0, "id is the version");
                    assertJson(json("{'merge':{'feed':{'y':{'z':2}}},'delete':{}}"),
                        data(second),
                        "the write to 'other' is not streamed; the one to 'feed' is");
                    Mutation.fromJson(data(second)).applyTo(copy);
                    return ok(HttpMethod.DELETE, "/tree/feed/x", null);
                  })
                  .compose(v -> events.next())
                  .compose(third -> {
                    Mutation.fromJson(data(third)).applyTo(copy);
                    assertJson(json("{'feed':{'y':{'z':2}}}"), copy, "the copy follows the server");
                    return ok(HttpMethod.PUT, "/tree/feed", "\"leaf\"");
                  })
                  .compose(v -> events.next())
                  .compose(fourth -> {
                    Mutation.fromJson(data(fourth)).applyTo(copy);
                    assertJson(json("{'feed':'leaf'}"), copy, "a leaf replacing the subtree");
                    return get("/tree/feed", "leaf");
                  });
            })
            .compose(v -> TestNodes.eventually(vertx, node, 2_000,
                () -> TestNodes.subscriptionCount(node) == 1, "the stream is subscribed"))
            .compose(v -> events.close()))
        .compose(v -> TestNodes.eventually(vertx, node, 5_000,
            () -> TestNodes.subscriptionCount(node) == 0, "closing the stream unsubscribes"))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void serverSentEventsWithBoundsStillCoverTheWholeSubtree(Vertx vertx,
      VertxTestContext context) {
    ok(HttpMethod.PUT, "/tree/log", "{\"a\":1,\"b\":2,\"c\":3}")
        .compose(v -> stream(vertx, "/tree/log?limit=1"))
        .compose(events -> events.next().compose(first -> {
          assertJson(json("{'merge':{'log':{'a':1}},'delete':{}}"),
              data(first), "bounded answer, no delete");
          return ok(HttpMethod.PATCH, "/tree/log/d", "4");
        }).compose(v -> events.next()).map(second -> {
          assertJson(json("{'merge':{'log':{'d':4}},'delete':{}}"),
              data(second), "a write outside the bounds is streamed");
          return null;
        }))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void badPathsForServerSentEventsAreErrors(VertxTestContext context) {
    List<String> uris = List.of("/tree/a%2Fb", "/tree/x?limit=-2");
    Future<Void> chain = Future.succeededFuture();
    for (String uri : uris) {
      chain = chain.compose(v -> http.request(HttpMethod.GET, node.actualPort(), "127.0.0.1", uri))
          .compose(request -> request.putHeader("Accept", "text/event-stream").send())
          .compose(response -> response.body().map(body -> {
            assertEquals(400, response.statusCode(), uri + ": " + body);
            return null;
          }));
    }
    chain.onComplete(context.succeedingThenComplete());
  }
}
