package dev.kora.node;

import static dev.kora.testkit.TestJson.assertJson;
import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.TestSocket;
import dev.kora.tree.Mutation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The WebSocket protocol of PROTOCOL.md over a real socket: calls and replies, queries with options,
 * subscriptions and their pushes, both action prefixes.
 */
@ExtendWith(VertxExtension.class)
class SocketProtocolTest {

  private KoraNode node;
  private TestSocket client;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext context) {
    TestNodes.start(vertx).compose(started -> {
      node = started;
      return TestSocket.connect(vertx, node.actualPort());
    }).onComplete(context.succeeding(socket -> {
      client = socket;
      context.completeNow();
    }));
  }

  private Future<TestSocket> connect(Vertx vertx) {
    return TestSocket.connect(vertx, node.actualPort());
  }

  private static JsonObject reply(JsonObject frame) {
    if (!"reply".equals(frame.getString("type"))) {
      throw new AssertionError("expected a reply, got " + frame.encode());
    }
    return frame;
  }

  /** A body without its {@code version} (kora. answers and pushes carry one; riptide. ones not). */
  private static JsonObject bare(JsonObject body) {
    JsonObject copy = body.copy();
    Object version = copy.remove("version");
    assertTrue(version == null || version instanceof Number, "version " + version);
    return copy;
  }

  /** Writes through the protocol and checks it is answered with a version. */
  private static Future<Void> write(TestSocket socket, String mutation) {
    return socket.mutate(json(mutation));
  }

  @Test
  void pingAnswersTheServerTimeWithEitherPrefix(VertxTestContext context) {
    long before = System.currentTimeMillis();
    Future.all(client.call("kora.ping", null), client.call("riptide.ping", "anything"))
        .onComplete(context.succeeding(all -> context.verify(() -> {
          for (int i = 0; i < 2; i++) {
            JsonObject frame = reply(all.resultAt(i));
            Object body = frame.getValue("body");
            assertTrue(body instanceof Number, "ping body is a number: " + frame);
            long time = ((Number) body).longValue();
            assertTrue(time >= before - 1_000 && time <= System.currentTimeMillis() + 1_000,
                "ping time " + time + " is near now");
          }
          context.completeNow();
        })));
  }

  @Test
  void replyCarriesTheCallsKeyWhetherNumberOrString(VertxTestContext context) {
    client.callFrame(json("{'type':'call','key':'abc','action':'kora.ping'}"))
        .compose(frame -> {
          assertEquals("reply", frame.getString("type"));
          assertEquals("abc", frame.getValue("key"));
          return client.callFrame(json("{'type':'call','key':-12,'action':'riptide.ping'}"));
        })
        .map(frame -> {
          assertEquals("reply", frame.getString("type"));
          assertEquals(-12, ((Number) frame.getValue("key")).intValue());
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void mutationRepliesOkAndDeletesApplyBeforeMerges(VertxTestContext context) {
    write(client, "{'merge':{'todos':{'t1':{'title':'milk','done':false},'t2':'bread'}}}")
        .compose(v -> client.call("kora.query", json("{'todos':{}}")))
        .compose(frame -> {
          assertJson(json("{'merge':{'todos':{'t1':{'title':'milk','done':false},'t2':'bread'}},"
              + "'delete':{'todos':1}}"), bare(reply(frame).getJsonObject("body")), "query");
          return write(client, "{'merge':{'todos':{'t1':{'done':true}}},'delete':{'todos':{'t1':1}}}");
        })
        .compose(v -> client.request("riptide.query", json("{'todos':{}}")))
        .map(body -> {
          assertJson(json("{'todos':{'t1':{'done':true},'t2':'bread'}}"),
              ((JsonObject) body).getJsonObject("merge"), "delete applied before merge");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void castMutationIsAppliedWithoutAnyAnswer(VertxTestContext context) {
    client.send(json("{'type':'cast','action':'kora.mutation','body':{'merge':{'c':1}}}").encode())
        .compose(v -> client.expectNothingMore())
        .compose(v -> client.query(json("{'c':{}}")))
        .map(body -> {
          assertJson(json("{'c':1}"), ((JsonObject) body).getJsonObject("merge"), "cast applied");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  private Future<Void> listData() {
    return write(client, "{'merge':{'list':{'a':1,'b':{'x':1,'y':{'z':2}},'c':'three','d':[4,4],"
        + "'e':true}}}");
  }

  @Test
  void queryOptionsBoundTheChildrenAndEachChildComesWhole(VertxTestContext context) {
    listData()
        .compose(v -> client.query(json("{'list':{'min':'b','max':'d'}}")))
        .compose(body -> {
          assertJson(json("{'merge':{'list':{'b':{'x':1,'y':{'z':2}},'c':'three'}},'delete':{}}"),
              body, "min/max: no delete since the answer is partial");
          return client.query(json("{'list':{'limit':'2'}}"));
        })
        .compose(body -> {
          assertJson(json("{'merge':{'list':{'a':1,'b':{'x':1,'y':{'z':2}}}},'delete':{}}"), body,
              "limit given as a string");
          return client.query(json("{'list':{'min':'c','limit':2}}"));
        })
        .compose(body -> {
          assertJson(json("{'merge':{'list':{'c':'three','d':[4,4]}},'delete':{}}"), body,
              "limit counted from min");
          return client.query(json("{'list':{'max':'b'}}"));
        })
        .compose(body -> {
          assertJson(json("{'merge':{'list':{'a':1}},'delete':{}}"), body, "max is exclusive");
          return client.query(json("{'list':{'limit':0}}"));
        })
        .map(body -> {
          assertJson(json("{'merge':{},'delete':{}}"), body, "limit 0");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void queryOfSeveralPathsAtOnce(VertxTestContext context) {
    listData()
        .compose(v -> write(client, "{'merge':{'users':{'dax':{'name':'Dax'},'ann':{'name':'Ann'}}}}"))
        .compose(v -> client.query(
            json("{'list':{'a':{},'b':{'y':{}}},'users':{'dax':{},'nobody':{}}}")))
        .map(body -> {
          assertJson(json("{'merge':{'list':{'a':1,'b':{'y':{'z':2}}},'users':{'dax':{'name':'Dax'}}},"
                  + "'delete':{'list':{'a':1,'b':{'y':1}},'users':{'dax':1,'nobody':1}}}"),
              body, "several paths");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void queryOfALeafAndOfNothing(VertxTestContext context) {
    listData()
        .compose(v -> client.query(json("{'list':{'c':{}}}")))
        .compose(body -> {
          assertJson(json("{'merge':{'list':{'c':'three'}},'delete':{'list':{'c':1}}}"), body,
              "a leaf at the queried path");
          return client.query(json("{'nothing':{'here':{}}}"));
        })
        .compose(body -> {
          assertJson(json("{'merge':{},'delete':{'nothing':{'here':1}}}"), body, "nothing there");
          return client.query(json("{'list':{'c':{'under':{}}}}"));
        })
        .map(body -> {
          assertJson(json("{'merge':{},'delete':{'list':{'c':{'under':1}}}}"), body,
              "a path under a leaf holds nothing");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void subscribeRepliesLikeAQueryThenPushesLaterWrites(Vertx vertx, VertxTestContext context) {
    write(client, "{'merge':{'todos':{'t1':'milk'},'other':1}}")
        .compose(v -> connect(vertx))
        .compose(watcher -> watcher.call("kora.subscribe", json("{'todos':{}}"))
            .compose(frame -> {
              assertJson(json("{'merge':{'todos':{'t1':'milk'}},'delete':{'todos':1}}"),
                  bare(reply(frame).getJsonObject("body")), "subscribe reply");
              return write(client, "{'merge':{'todos':{'t2':'bread'}}}");
            })
            .compose(v -> watcher.nextCast())
            .compose(cast -> {
              assertEquals("kora.mutation", cast.getString("action"));
              assertJson(json("{'merge':{'todos':{'t2':'bread'}},'delete':{}}"),
                  bare(cast.getJsonObject("body")), "push");
              return write(client, "{'merge':{'other':2}}");
            })
            .compose(v -> watcher.expectNothingMore()))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void queryWithSubscribeTrueSubscribes(Vertx vertx, VertxTestContext context) {
    connect(vertx).compose(watcher -> watcher.request("riptide.query",
            json("{'feed':{'subscribe':true},'plain':{}}"))
        .compose(body -> {
          assertJson(json("{'merge':{},'delete':{'feed':1,'plain':1}}"), body, "reply");
          return write(client, "{'merge':{'feed':{'n':1},'plain':{'n':1}}}");
        })
        .compose(v -> watcher.nextCast())
        .compose(cast -> {
          assertEquals("riptide.mutation", cast.getString("action"));
          assertJson(json("{'merge':{'feed':{'n':1}},'delete':{}}"), bare(cast.getJsonObject("body")),
              "only the subscribed path is pushed");
          return watcher.expectNothingMore();
        }))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void unsubscribeStopsPushes(Vertx vertx, VertxTestContext context) {
    connect(vertx).compose(watcher -> watcher.request("kora.subscribe", json("{'a':{},'b':{}}"))
        .compose(v -> watcher.request("kora.unsubscribe", json("{'a':{}}")))
        .compose(body -> {
          assertEquals("ok", body);
          return write(client, "{'merge':{'a':1}}");
        })
        .compose(v -> write(client, "{'merge':{'b':2}}"))
        .compose(v -> watcher.nextCast())
        .compose(cast -> {
          assertJson(json("{'merge':{'b':2},'delete':{}}"), bare(cast.getJsonObject("body")),
              "the first push after unsubscribing 'a' is about 'b'");
          return watcher.request("riptide.unsubscribe", json("{'b':{}}"));
        })
        .compose(v -> write(client, "{'merge':{'a':3,'b':3}}"))
        .compose(v -> watcher.expectNothingMore())
        .compose(v -> TestNodes.eventually(vertx, node, 2_000,
            () -> TestNodes.subscriptionCount(node) == 0, "no subscription left")))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void everyActionAnswersUnderBothPrefixes(VertxTestContext context) {
    Future<Void> chain = Future.succeededFuture();
    for (String prefix : List.of("kora.", "riptide.")) {
      chain = chain
          .compose(v -> client.request(prefix + "ping", null))
          .compose(v -> client.request(prefix + "mutation", json("{'merge':{'p':{'" + prefix
              + "':1}}}")))
          .compose(ok -> {
            if (prefix.equals("kora.")) {
              assertTrue(((JsonObject) ok).getLong("version") > 0, "kora.mutation: " + ok);
            } else {
              assertEquals("ok", ok, "riptide.mutation replies stay \"ok\"");
            }
            return client.request(prefix + "query", json("{'p':{'" + prefix + "':{}}}"));
          })
          .compose(body -> {
            assertJson(json("{'p':{'" + prefix + "':1}}"), ((JsonObject) body).getJsonObject("merge"),
                prefix + "query");
            assertEquals(prefix.equals("kora."), ((JsonObject) body).containsKey("version"),
                "only kora. answers carry the version");
            return client.request(prefix + "subscribe", json("{'q':{}}"));
          })
          .compose(body -> {
            assertJson(json("{'merge':{},'delete':{'q':1}}"), bare((JsonObject) body),
                prefix + "subscribe");
            return client.request(prefix + "unsubscribe", json("{'q':{}}"));
          })
          .map(ok -> {
            assertEquals("ok", ok);
            return null;
          });
    }
    chain.onComplete(context.succeedingThenComplete());
  }

  @Test
  void pushesUseThePrefixTheConnectionUsed(Vertx vertx, VertxTestContext context) {
    Future.all(connect(vertx), connect(vertx)).compose(both -> {
      TestSocket kora = both.resultAt(0);
      TestSocket riptide = both.resultAt(1);
      return kora.request("kora.subscribe", json("{'x':{}}"))
          .compose(v -> riptide.request("riptide.subscribe", json("{'x':{}}")))
          .compose(v -> write(client, "{'merge':{'x':{'y':1}}}"))
          .compose(v -> Future.all(kora.nextCast(), riptide.nextCast()))
          .map(casts -> {
            JsonObject koraCast = casts.resultAt(0);
            JsonObject riptideCast = casts.resultAt(1);
            assertEquals("kora.mutation", koraCast.getString("action"));
            assertEquals("riptide.mutation", riptideCast.getString("action"));
            assertTrue(koraCast.getJsonObject("body").getValue("version") instanceof Number,
                "kora.mutation pushes carry the version");
            assertFalse(riptideCast.getJsonObject("body").containsKey("version"),
                "riptide.mutation pushes stay as Riptide sent them");
            assertJson(bare(koraCast.getJsonObject("body")), riptideCast.getJsonObject("body"),
                "bodies");
            return null;
          });
    }).onComplete(context.succeedingThenComplete());
  }

  @Test
  void aConnectionsOwnMutationsArePushedToIt(VertxTestContext context) {
    client.request("riptide.subscribe", json("{'mine':{}}"))
        .compose(v -> client.request("riptide.mutation", json("{'merge':{'mine':{'k':'v'}}}")))
        .compose(v -> client.nextCast())
        .map(cast -> {
          assertEquals("riptide.mutation", cast.getString("action"));
          assertJson(json("{'merge':{'mine':{'k':'v'}},'delete':{}}"), bare(cast.getJsonObject("body")),
              "own write pushed");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void pushBodyAlwaysHasMergeAndDelete(Vertx vertx, VertxTestContext context) {
    write(client, "{'merge':{'users':{'dax':{'name':'Dax','age':30}}}}")
        .compose(v -> connect(vertx))
        .compose(watcher -> {
          JsonObject copy = new JsonObject();
          return watcher.request("kora.subscribe", json("{'users':{'dax':{}}}"))
              .compose(body -> {
                Mutation.fromJson(bare((JsonObject) body)).applyTo(copy);
                return write(client, "{'delete':{'users':{'dax':{'age':1}}}}");
              })
              .compose(v -> watcher.nextCast())
              .compose(cast -> {
                JsonObject body = bare(cast.getJsonObject("body"));
                assertJson(json("{'merge':{},'delete':{'users':{'dax':{'age':1}}}}"), body,
                    "a pure delete still carries an empty merge");
                Mutation.fromJson(bare(body)).applyTo(copy);
                assertJson(json("{'users':{'dax':{'name':'Dax'}}}"), copy, "copy");
                return write(client, "{'merge':{'users':'gone'}}");
              })
              .compose(v -> watcher.nextCast())
              .compose(cast -> {
                JsonObject body = bare(cast.getJsonObject("body"));
                assertTrue(body.containsKey("merge") && body.containsKey("delete"), body.encode());
                Mutation.fromJson(bare(body)).applyTo(copy);
                assertJson(new JsonObject(), copy,
                    "a leaf written at an ancestor empties the subscribed subtree");
                return write(client, "{'merge':{'users':{'dax':{'name':'Dax II'}}}}");
              })
              .compose(v -> watcher.nextCast())
              .compose(cast -> {
                JsonObject body = bare(cast.getJsonObject("body"));
                assertTrue(body.containsKey("merge") && body.containsKey("delete"), body.encode());
                Mutation.fromJson(bare(body)).applyTo(copy);
                assertJson(json("{'users':{'dax':{'name':'Dax II'}}}"), copy, "copy");
                return write(client, "{'delete':{'users':1}}");
              })
              .compose(v -> watcher.nextCast())
              .map(cast -> {
                assertJson(json("{'merge':{},'delete':{'users':{'dax':1}}}"),
                    bare(cast.getJsonObject("body")), "an ancestor's delete reaches the subscriber");
                return null;
              });
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void noPushForWritesOutsideTheSubscribedSubtree(Vertx vertx, VertxTestContext context) {
    connect(vertx).compose(watcher -> watcher.request("kora.subscribe", json("{'ab':{'c':{}}}"))
        .compose(v -> write(client, "{'merge':{'abc':1,'ab':{'cd':1,'d':{'c':1}}}}"))
        .compose(v -> watcher.expectNothingMore())
        .compose(v -> write(client, "{'merge':{'ab':{'c':{'deep':{'er':1}}}}}"))
        .compose(v -> watcher.nextCast())
        .map(cast -> {
          assertJson(json("{'merge':{'ab':{'c':{'deep':{'er':1}}}},'delete':{}}"),
              bare(cast.getJsonObject("body")), "push");
          return null;
        }))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void pushHoldsOnlyThePartOfAMutationInsideTheSubscription(Vertx vertx, VertxTestContext context) {
    connect(vertx).compose(watcher -> watcher.request("kora.subscribe", json("{'in':{}}"))
        .compose(v -> write(client, "{'merge':{'in':{'a':1},'out':{'b':2}},'delete':{'gone':1}}"))
        .compose(v -> watcher.nextCast())
        .map(cast -> {
          JsonObject body = bare(cast.getJsonObject("body"));
          // PROTOCOL.md allows more than the subscribed part, but then applying it would put data
          // outside the subscribed subtree into the client's copy; Kora restricts.
          assertJson(json("{'merge':{'in':{'a':1}},'delete':{}}"), body, "restricted push");
          return null;
        }))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void closingTheSocketDropsItsSubscriptions(Vertx vertx, VertxTestContext context) {
    connect(vertx).compose(watcher -> watcher.request("kora.subscribe", json("{'a':{},'b':{'c':{}}}"))
        .compose(v -> watcher.request("kora.subscribe", json("{'a':{}}")))
        .compose(v -> TestNodes.eventually(vertx, node, 2_000,
            () -> TestNodes.subscriptionCount(node) == 2, "two distinct subscriptions"))
        .compose(v -> watcher.close()))
        .compose(v -> TestNodes.eventually(vertx, node, 5_000,
            () -> TestNodes.subscriptionCount(node) == 0, "subscriptions dropped on close"))
        .compose(v -> write(client, "{'merge':{'a':1}}"))
        .onComplete(context.succeedingThenComplete());
  }
}
