package dev.kora.node;

import static dev.kora.testkit.Checks.check;
import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.interceptors.Effect;
import dev.kora.interceptors.EffectHandler;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.Session;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.testkit.Eventually;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Versions, the change log, resume with {@code since} and exactly-once mutation ids, through a real
 * node and WebSocket (docs/protocol.md, "Versions, resume and exactly-once writes").
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ChangeLogTest {




  /** A client's copy of a path: the answer applied, then each push. */
  private static JsonObject apply(JsonObject copy, JsonObject answer) {
    return Mutation.of(answer.getJsonObject("merge"), answer.getJsonObject("delete"))
        .applyTo(copy);
  }

  @Test
  void versionsIncreaseAndAreOnKoraRepliesAnswersAndPushesOnly(Vertx vertx,
      VertxTestContext ctx) {
    List<Long> versions = new ArrayList<>();
    TestNodes.start(vertx).compose(node -> Future.all(TestSocket.connect(vertx,
        node.actualPort()), TestSocket.connect(vertx, node.actualPort())))
        .compose(sockets -> {
          TestSocket writer = sockets.resultAt(0);
          TestSocket watcher = sockets.resultAt(1);
          return watcher.request("kora.subscribe", json("{\"todos\": {}}"))
              .compose(answer -> check(() -> assertEquals(0L,
                  ((JsonObject) answer).getLong("version"), "nothing committed yet")))
              .compose(v -> writer.write("{\"merge\": {\"todos\": {\"t1\": 1}}}"))
              .compose(version -> {
                versions.add(version);
                return writer.write("{\"merge\": {\"todos\": {\"t2\": 2}}}");
              })
              .compose(version -> {
                versions.add(version);
                return writer.request("riptide.mutation", json("{\"merge\": {\"x\": 1}}"));
              })
              .compose(ok -> check(() -> assertEquals("ok", ok, "riptide replies stay \"ok\"")))
              .compose(v -> watcher.nextCast())
              .compose(push -> check(() -> {
                assertEquals("kora.mutation", push.getString("action"));
                assertEquals(versions.get(0), push.getJsonObject("body").getLong("version"));
              }))
              .compose(v -> watcher.nextCast())
              .compose(push -> check(() -> assertEquals(versions.get(1),
                  push.getJsonObject("body").getLong("version"))))
              .compose(v -> writer.request("kora.query", json("{\"todos\": {}}")))
              .compose(answer -> check(() -> {
                assertEquals(List.of(1L, 2L), versions);
                assertEquals(3L, ((JsonObject) answer).getLong("version"));
              }))
              .compose(v -> writer.request("riptide.query", json("{\"todos\": {}}")))
              .compose(answer -> check(() -> assertEquals(json("{\"merge\": {\"todos\":"
                  + " {\"t1\": 1, \"t2\": 2}}, \"delete\": {\"todos\": 1}}"), answer,
                  "riptide answers have no version")));
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void resumeSendsOnlyWhatChangedAndConverges(Vertx vertx, VertxTestContext ctx) {
    JsonObject copy = new JsonObject();
    long[] since = new long[1];
    TestNodes.start(vertx).compose(node -> TestSocket.connect(vertx, node.actualPort())
        .compose(first -> first.write("{\"merge\": {\"todos\": {\"keep\": {\"a\": 1, \"b\": 2},"
            + " \"x\": 1, \"gone\": {\"g\": 1}, \"leaf\": 5}}}")
            .compose(v -> first.request("kora.subscribe", json("{\"todos\": {}}")))
            .compose(answer -> {
              since[0] = ((JsonObject) answer).getLong("version");
              apply(copy, (JsonObject) answer);
              return first.close();
            })
            .compose(v -> TestSocket.connect(vertx, node.actualPort())))
        .compose(writer -> writer.write("{\"merge\": {\"todos\": {\"x\": {\"y\": 2}}}}")
            .compose(v -> writer.write("{\"delete\": {\"todos\": {\"x\": {\"y\": 1}}}}"))
            .compose(v -> writer.write("{\"delete\": {\"todos\": {\"gone\": 1}}}"))
            .compose(v -> writer.write("{\"merge\": {\"todos\": {\"leaf\": {\"now\": \"tree\"},"
                + " \"new\": true}, \"elsewhere\": 1}}"))
            .compose(v -> writer.write("{\"merge\": {\"todos\": {\"keep\": {\"b\": 3}}}}"))
            .compose(v -> writer.request("kora.subscribe", json("{\"todos\": {\"since\": "
                + since[0] + "}}")))
            .compose(answer -> {
              JsonObject delta = (JsonObject) answer;
              return check(() -> {
                assertNull(delta.getValue("reset"), delta::encode);
                assertEquals(since[0] + 5, delta.getLong("version"));
                JsonObject merge = delta.getJsonObject("merge").getJsonObject("todos");
                assertFalse(merge.getJsonObject("keep").containsKey("a"),
                    () -> "an unchanged leaf is not sent again: " + delta.encode());
                assertFalse(delta.getJsonObject("merge").containsKey("elsewhere"));
                apply(copy, delta);
              });
            })
            .compose(v -> writer.request("kora.query", json("{\"todos\": {}}")))
            .compose(full -> check(() -> {
              assertEquals(apply(new JsonObject(), (JsonObject) full), copy,
                  "the resumed copy equals the server's data (x, a leaf turned into a subtree"
                      + " and emptied, is gone)");
              assertFalse(copy.getJsonObject("todos").containsKey("x"));
            }))
            .compose(v -> writer.request("kora.query", json("{\"todos\": {\"since\": "
                + (since[0] + 5) + "}}")))
            .compose(nothing -> check(() -> assertEquals(json("{\"merge\": {}, \"delete\": {},"
                + " \"version\": " + (since[0] + 5) + "}"), nothing,
                "since the current version: nothing changed")))
            .compose(v -> writer.request("kora.subscribe", json("{\"todos\": {\"since\": "
                + since[0] + "}}")))
            .compose(again -> writer.write("{\"merge\": {\"todos\": {\"after\": 1}}}"))
            .compose(version -> writer.nextCast().compose(push -> check(() -> {
              assertEquals(version, push.getJsonObject("body").getLong("version"));
              assertEquals(json("{\"todos\": {\"after\": 1}}"),
                  push.getJsonObject("body").getJsonObject("merge"), "the pushes follow on");
            })))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void badSinceAndBadIdsAreRefusedWithStableCodes(Vertx vertx, VertxTestContext ctx) {
    TestNodes.start(vertx).compose(node -> TestSocket.connect(vertx, node.actualPort()))
        .compose(socket -> socket.write("{\"merge\": {\"a\": 1}}")
            .compose(v -> socket.refused("kora.query", json("{\"a\": {\"since\": 2}}"),
                ErrorCode.INVALID_QUERY))
            .compose(message -> check(() -> assertTrue(message.contains("ahead"), message)))
            .compose(v -> socket.refused("kora.query", json("{\"a\": {\"since\": -1}}"),
                ErrorCode.INVALID_QUERY))
            .compose(v -> socket.refused("kora.query", json("{\"a\": {\"since\": \"1\"}}"),
                ErrorCode.INVALID_QUERY))
            .compose(v -> socket.refused("kora.query", json("{\"a\": {\"since\": 0.5}}"),
                ErrorCode.INVALID_QUERY))
            .compose(v -> socket.refused("kora.query", json("{\"a\": {\"since\": 0,"
                + " \"limit\": 3}}"), ErrorCode.INVALID_QUERY))
            .compose(v -> socket.refused("kora.mutation", null, ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.refused("riptide.mutation", null, ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.refused("kora.mutation", json("{\"merge\": {\"a\": 2},"
                + " \"id\": 7}"), ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.refused("kora.mutation", json("{\"merge\": {\"a\": 2},"
                + " \"id\": \"\"}"), ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.refused("kora.mutation", new JsonObject()
                .put("merge", json("{\"a\": 2}")).put("id", "é".repeat(65)),
                ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.refused("kora.mutation", json("{\"merge\": {\"kora:log\":"
                + " {\"x\": 1}}}"), ErrorCode.DENIED))
            .compose(v -> socket.refused("kora.mutation", json("{\"merge\": {\"a\": 2},"
                + " \"first\": true}"), ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.refused("kora.mutation", json("{\"merge\": {\"a\": 2},"
                + " \"id\": \"c:1\", \"first\": \"yes\"}"), ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.refused("kora.mutation", new JsonObject()
                .put("merge", json("{\"a\": 2}")).put("id", "日".repeat(43)),
                ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.query(json("{\"a\": {}}")))
            .compose(answer -> check(() -> assertEquals(1, answer.getJsonObject("merge")
                .getInteger("a"), "nothing refused was written"))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void theNodeAloneWritesTheChangeLog(Vertx vertx, VertxTestContext ctx) {
    TestNodes.start(vertx)
        .compose(node -> node.mutate(Mutation.merge(ChangeLog.LOG.child("x"), 1))
            .transform(done -> check(() -> {
              assertTrue(done.failed(), "an internal write of kora:log must be refused");
              assertEquals(ErrorCode.DENIED,
                  ((dev.kora.tree.KoraException) done.cause()).code());
            })))
        .onComplete(ctx.succeedingThenComplete());
  }

  /** Counts each application of a mutation under {@code counted} and runs one effect for it. */
  private static final class CountingPlugin implements KoraPlugin {
    final AtomicInteger prepared = new AtomicInteger();
    final AtomicInteger effects = new AtomicInteger();

    @Override
    public List<Interceptor> interceptors() {
      return List.of(new Interceptor() {
        @Override
        public InterceptorResult beforeMutation(MutationLayer layer, Session session) {
          if (layer.path().equals(Path.of("counted"))) {
            prepared.incrementAndGet();
          }
          return InterceptorResult.ok();
        }

        @Override
        public List<Effect> effect(MutationLayer layer, Session session) {
          return layer.path().equals(Path.of("counted"))
              ? List.of(Effect.of("count", new JsonObject())) : List.of();
        }
      });
    }

    @Override
    public List<EffectHandler> effectHandlers() {
      return List.of(EffectHandler.of("count", (args, attempt) -> {
        effects.incrementAndGet();
        return Future.succeededFuture();
      }));
    }
  }

  @Test
  void aMutationWithAnIdIsAppliedOnceHoweverOftenItIsSent(Vertx vertx, VertxTestContext ctx) {
    CountingPlugin plugin = new CountingPlugin();
    JsonObject body = json("{\"merge\": {\"counted\": {\"n\": 1}}, \"id\": \"phone/1:17\"}");
    List<Long> versions = new ArrayList<>();
    TestNodes.start(vertx, TestNodes.memoryOptions().addPlugin(plugin))
        .compose(node -> Future.all(TestSocket.connect(vertx, node.actualPort()),
            TestSocket.connect(vertx, node.actualPort())))
        .compose(sockets -> {
          TestSocket one = sockets.resultAt(0);
          TestSocket other = sockets.resultAt(1);
          // three sends in flight at once, from two connections (the first marked as the id's
          // first send, so not looked up), then one after the commit
          return Future.all(one.request("kora.mutation", body.copy().put("first", true)),
                  one.request("kora.mutation", body.copy()),
                  other.request("kora.mutation", body.copy()))
              .compose(all -> {
                for (int i = 0; i < 3; i++) {
                  versions.add(((JsonObject) all.resultAt(i)).getLong("version"));
                }
                return other.request("kora.mutation", body.copy());
              })
              .compose(later -> {
                versions.add(((JsonObject) later).getLong("version"));
                return one.write("{\"merge\": {\"counted\": {\"n\": 2}},"
                    + " \"id\": \"phone/1:18\"}");
              })
              .compose(next -> check(() -> {
                assertEquals(List.of(1L, 1L, 1L, 1L), versions, "one version for one id");
                assertTrue(next > 1L, "the next id takes a later version");
                assertEquals(2, plugin.prepared.get(), "intercepted once per id");
              }))
              .compose(v -> Eventually.poll(vertx, 5_000, "two effects", () ->
                  Future.succeededFuture(plugin.effects.get()), n -> n >= 2))
              .compose(v -> check(() -> assertEquals(2, plugin.effects.get(),
                  "effected once per id")));
        })
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void aSinceOlderThanTheLogIsAnsweredInFullWithReset(Vertx vertx, VertxTestContext ctx) {
    KoraNodeOptions options = TestNodes.memoryOptions().setChangeLogMaxEntries(3)
        .setChangeLogTrimIntervalMs(20);
    TestNodes.start(vertx, options)
        .compose(node -> TestSocket.connect(vertx, node.actualPort())
            .compose(socket -> {
              Future<Long> writes = Future.succeededFuture(0L);
              for (int i = 1; i <= 10; i++) {
                String mutation = "{\"merge\": {\"n\": {\"k" + i + "\": " + i + "}}}";
                writes = writes.compose(v -> socket.write(mutation));
              }
              return writes.compose(v -> Eventually.poll(vertx, 5_000, "the log trimmed to 3",
                      () -> node.query(dev.kora.tree.Query.of(ChangeLog.LOG,
                          dev.kora.tree.QueryOptions.WHOLE)).map(answer -> answer.merge()
                          .getJsonObject("kora:log")),
                      log -> log != null && log.size() == 3 + 2))
                  .compose(v -> socket.request("kora.query", json("{\"n\": {\"since\": 2}}")))
                  .compose(full -> check(() -> {
                    JsonObject answer = (JsonObject) full;
                    assertEquals(Boolean.TRUE, answer.getValue("reset"), answer::encode);
                    assertEquals(10, answer.getJsonObject("merge").getJsonObject("n").size());
                    assertEquals(json("{\"n\": 1}"), answer.getJsonObject("delete"));
                  }))
                  .compose(v -> socket.request("kora.query", json("{\"n\": {\"since\": 8}}")))
                  .compose(delta -> check(() -> assertEquals(json("{\"merge\": {\"n\":"
                      + " {\"k9\": 9, \"k10\": 10}}, \"delete\": {}, \"version\": 10}"), delta,
                      "within the log: the delta")));
            }))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * A leaf replaced by a subtree that was then emptied: a resume of the leaf's path, or of a path
   * above it, must delete the leaf the client holds, also when the change happened below a path
   * shallower than the resumed one (the combination alone would keep the leaf).
   */
  @Test
  void aLeafReplacedBySubtreeThenEmptiedIsDeletedOnResume(Vertx vertx, VertxTestContext ctx) {
    TestNodes.start(vertx, TestNodes.memoryOptions())
        .compose(node -> TestSocket.connect(vertx, node.actualPort())
            .compose(socket -> socket.write("{\"merge\": {\"r\": {\"a\": 9, \"b\": 1}}}")
                .compose(held -> socket.write("{\"merge\": {\"r\": {\"a\": {\"x\": 1}}}}")
                    .compose(v -> socket.write("{\"delete\": {\"r\": {\"a\": {\"x\": 1}}}}"))
                    .compose(v -> socket.request("kora.query",
                        json("{\"r\": {\"a\": {\"since\": " + held + "}}}")))
                    .compose(deeper -> check(() -> assertEquals(json("{\"merge\": {},"
                        + " \"delete\": {\"r\": {\"a\": 1}}, \"version\": " + (held + 2) + "}"),
                        deeper, "the resumed path is deleted")))
                    .compose(v -> socket.request("kora.query",
                        json("{\"r\": {\"since\": " + held + "}}")))
                    .compose(above -> check(() -> assertEquals(json("{\"merge\": {},"
                        + " \"delete\": {\"r\": {\"a\": 1}}, \"version\": " + (held + 2) + "}"),
                        above, "the path under the resumed one is deleted"))))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void withTheLogOffVersionsStillCountButResumesResetAndIdsAreRefused(Vertx vertx,
      VertxTestContext ctx) {
    TestNodes.start(vertx, TestNodes.memoryOptions().setChangeLog(false))
        .compose(node -> TestSocket.connect(vertx, node.actualPort()))
        .compose(socket -> socket.write("{\"merge\": {\"a\": 1}}")
            .compose(v -> socket.write("{\"merge\": {\"a\": 2}}"))
            .compose(version -> check(() -> assertEquals(2L, version)))
            .compose(v -> socket.refused("kora.mutation", json("{\"merge\": {\"a\": 3},"
                + " \"id\": \"c:1\"}"), ErrorCode.INVALID_MUTATION))
            .compose(v -> socket.request("kora.query", json("{\"a\": {\"since\": 1}}")))
            .compose(full -> check(() -> assertEquals(json("{\"merge\": {\"a\": 2}, \"delete\":"
                + " {\"a\": 1}, \"version\": 2, \"reset\": true}"), full)))
            .compose(v -> socket.request("kora.query", json("{\"a\": {\"since\": 2}}")))
            .compose(none -> check(() -> assertEquals(json("{\"merge\": {}, \"delete\": {},"
                + " \"version\": 2}"), none))))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  void eventStreamsCarryVersionsAndResumeFromLastEventId(Vertx vertx, VertxTestContext ctx) {
    // covered over HTTP in RestApiTest; here the version of the answer event is the commit's
    // Held until the end: Vert.x closes an HTTP client, and its connections, once unreachable.
    io.vertx.core.http.HttpClient http = vertx.createHttpClient();
    TestNodes.start(vertx).compose(node -> TestSocket.connect(vertx, node.actualPort())
        .compose(socket -> socket.write("{\"merge\": {\"s\": {\"a\": 1}}}")
            .compose(v -> socket.write("{\"merge\": {\"s\": {\"b\": 2}}}")))
        .compose(version -> http.request(io.vertx.core.http.HttpMethod.GET,
                node.actualPort(), "127.0.0.1", "/tree/s")
            .compose(request -> request.putHeader("Accept", "text/event-stream")
                .putHeader("Last-Event-ID", "1").send())
            .compose(response -> {
              io.vertx.core.Promise<String> first = io.vertx.core.Promise.promise();
              first.future().onComplete(done -> response.request().connection().close());
              StringBuilder text = new StringBuilder();
              response.handler(chunk -> {
                text.append(chunk.toString());
                if (text.indexOf("\n\n") >= 0) {
                  first.tryComplete(text.toString());
                }
              });
              return first.future();
            })
            .compose(event -> check(() -> {
              assertTrue(event.contains("id: 2\n"), event);
              String data = event.substring(event.indexOf("data: ") + 6).trim();
              assertEquals(json("{\"merge\": {\"s\": {\"b\": 2}}, \"delete\": {},"
                  + " \"version\": 2}"), json(data), "resumed from Last-Event-ID 1");
            }))))
        .eventually(http::close)
        .onComplete(ctx.succeedingThenComplete());
  }
}
