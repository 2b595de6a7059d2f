package dev.kora.node;

import static dev.kora.testkit.TestJson.assertJson;
import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.eventbus.CommittedChange;
import dev.kora.node.eventbus.KoraAddresses;
import dev.kora.protocol.KoraReplyException;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The embedded Java API of {@link KoraNode} and the event bus addresses of {@link KoraAddresses}. */
@ExtendWith(VertxExtension.class)
class EmbeddedApiTest {

  private KoraNode node;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext context) {
    // Embedded only: no port, just the Java API and the event bus.
    TestNodes.start(vertx, TestNodes.memoryOptions().setListen(false))
        .onComplete(context.succeeding(started -> {
          node = started;
          context.completeNow();
        }));
  }

  private static Future<Void> refused(Future<?> call, String code, String what) {
    return call.transform(result -> {
      assertTrue(result.failed(), what + " must fail");
      assertEquals(code, ((KoraException) result.cause()).code(), what);
      return Future.succeededFuture();
    });
  }

  private static Object at(Mutation answer, Path path) {
    return dev.kora.tree.Tree.get(answer.merge(), path);
  }

  @Test
  void mergeDeleteMutateAndQueryFromANonVertxThread(VertxTestContext context) {
    assertTrue(Vertx.currentContext() == null, "the test body runs on a plain thread");
    assertEquals(-1, node.actualPort(), "an embedded node does not listen");
    Path dax = Path.of("users", "dax");
    node.merge(dax, json("{'name':'Dax','langs':['java','elixir']}"))
        .compose(version -> {
          assertEquals(1L, version, "versions start at 1");
          return node.merge(dax.child("age"), 30);
        })
        .compose(version -> {
          assertEquals(2L, version);
          return node.query(Query.of(dax, QueryOptions.WHOLE));
        })
        .compose(answer -> {
          assertJson(json("{'users':{'dax':{'name':'Dax','langs':['java','elixir'],'age':30}}}"),
              answer.merge(), "merged");
          assertJson(json("{'users':{'dax':1}}"), answer.delete(), "delete at the whole path");
          return node.mutate(Mutation.fromJson(json(
              "{'delete':{'users':{'dax':{'langs':1}}},'merge':{'users':{'ann':{'name':'Ann'}}}}")));
        })
        .compose(version -> {
          assertEquals(3L, version);
          return node.delete(dax.child("name"));
        })
        .compose(version -> node.merge(dax.child("age"), null))
        .compose(version -> {
          assertEquals(5L, version);
          return node.query(Query.of(Path.of("users"), QueryOptions.WHOLE));
        })
        .compose(answer -> {
          assertJson(json("{'users':{'ann':{'name':'Ann'}}}"), answer.merge(),
              "dax lost his last leaf and is gone");
          return node.mutate(Mutation.empty());
        })
        .map(version -> {
          assertEquals(5L, version, "an empty mutation commits nothing and answers the version");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void refusedCallsFailTheirFutureWithTheCode(VertxTestContext context) {
    refused(node.merge(Path.ROOT, 5), "invalid_mutation", "a leaf at the root")
        .compose(v -> refused(node.delete(Path.ROOT), "invalid_mutation", "deleting the root"))
        .compose(v -> refused(node.merge(Path.of("a"), new Object()), "invalid_mutation",
            "not a JSON value"))
        .compose(v -> refused(node.merge(Path.of("a"), new JsonObject().put("b/c", 1)),
            "invalid_key", "a bad key in the value"))
        .compose(v -> refused(node.mutate(Mutation.merge(Path.of("ok"), 1)
            .combine(Mutation.merge(Path.of("kora:jobs", "x"), 1)), dev.kora.interceptors.Session
            .client("c1")), "denied", "a client writing a reserved kora:* path"))
        .compose(v -> node.query(Query.of(Path.ROOT, QueryOptions.WHOLE)))
        .map(answer -> {
          assertTrue(answer.isEmpty(), "nothing written: " + answer);
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void concurrentWritersFromPlainThreadsGetDistinctConsecutiveVersions(VertxTestContext context)
      throws InterruptedException {
    int threads = 4;
    int each = 50;
    List<Future<Long>> all = new CopyOnWriteArrayList<>();
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread writer = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          all.add(node.merge(Path.of("t" + thread, "k" + i), i));
        }
      });
      writer.start();
      started.add(writer);
    }
    for (Thread writer : started) {
      writer.join();
    }
    Future.all(new ArrayList<>(all))
        .compose(done -> {
          Set<Long> versions = new TreeSet<>();
          for (Future<Long> f : all) {
            versions.add(f.result());
          }
          assertEquals(threads * each, versions.size(), "each write its own version");
          assertEquals(1L, Collections.min(versions));
          assertEquals((long) threads * each, Collections.max(versions), "no gaps");
          return node.query(Query.of(Path.ROOT, QueryOptions.WHOLE));
        })
        .map(answer -> {
          for (int t = 0; t < threads; t++) {
            for (int i = 0; i < each; i++) {
              assertEquals(i, ((Number) at(answer, Path.of("t" + t, "k" + i))).intValue());
            }
          }
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void fromAnotherVerticlesContext(Vertx vertx, VertxTestContext context) {
    List<Long> versions = new CopyOnWriteArrayList<>();
    List<Object> reads = new CopyOnWriteArrayList<>();
    VerticleBase client = new VerticleBase() {
      @Override
      public Future<?> start() {
        assertTrue(context != node.nodeContext(), "a different context");
        return node.merge(Path.of("from", "verticle"), "hello")
            .compose(v1 -> {
              versions.add(v1);
              return node.merge(Path.of("from", "verticle"), "again");
            })
            .compose(v2 -> {
              versions.add(v2);
              return node.mutate(Mutation.merge(Path.of("from", "other"), 1));
            })
            .compose(v3 -> {
              versions.add(v3);
              return node.query(Query.of(Path.of("from"), QueryOptions.WHOLE));
            })
            .map(answer -> {
              reads.add(answer.merge());
              return null;
            });
      }
    };
    vertx.deployVerticle(client)
        .map(id -> {
          assertEquals(List.of(1L, 2L, 3L), versions, "versions strictly increase");
          assertJson(json("{'from':{'verticle':'again','other':1}}"), reads.get(0), "read back");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void embeddedSubscriptionGetsTheAnswerThenEachPushUntilClosed(Vertx vertx,
      VertxTestContext context) {
    List<Mutation> pushes = new CopyOnWriteArrayList<>();
    JsonObject copy = new JsonObject();
    Path todos = Path.of("todos");
    node.merge(todos.child("t1"), "milk")
        .compose(v -> node.subscribe(Query.of(todos, QueryOptions.WHOLE), part -> {
          assertSame(node.nodeContext(), Vertx.currentContext(), "pushes arrive on the node");
          pushes.add(part);
        }))
        .compose(subscription -> {
          assertJson(json("{'merge':{'todos':{'t1':'milk'}},'delete':{'todos':1},'version':1}"),
              subscription.initial(), "initial answer, with the version it reflects");
          Mutation.of(subscription.initial().getJsonObject("merge"),
              subscription.initial().getJsonObject("delete")).applyTo(copy);
          return node.merge(todos.child("t2"), "bread")
              .compose(v -> node.merge(Path.of("elsewhere"), 1))
              .compose(v -> node.delete(todos.child("t1")))
              .compose(v -> node.merge(todos, json("{'t3':{'title':'eggs'}}")))
              // The write's future completes just before its commit is delivered to subscribers.
              .compose(v -> TestNodes.eventually(vertx, node, 2_000, () -> pushes.size() >= 3,
                  "three pushes"))
              .compose(v -> node.query(Query.of(todos, QueryOptions.WHOLE)))
              .compose(answer -> {
                assertEquals(3, pushes.size(), "one push per write to todos: " + pushes);
                for (Mutation push : pushes) {
                  push.applyTo(copy);
                }
                assertJson(answer.merge(), copy, "answer + pushes = server");
                return subscription.close();
              })
              .compose(v -> node.merge(todos.child("t4"), "after close"))
              // a write after that one: by its completion the earlier commit was delivered
              .compose(v -> node.merge(Path.of("elsewhere"), 2))
              .map(answer -> {
                assertEquals(3, pushes.size(), "no push after close");
                return null;
              });
        })
        .compose(v -> TestNodes.eventually(vertx, node, 1_000,
            () -> TestNodes.subscriptionCount(node) == 0, "closed subscription removed"))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void eventBusMutateAndQuery(Vertx vertx, VertxTestContext context) {
    vertx.eventBus().<JsonObject>request(KoraAddresses.MUTATE,
            json("{'merge':{'bus':{'a':1,'b':2}}}"))
        .compose(reply -> {
          assertEquals(json("{'version':1}"), reply.body());
          return vertx.eventBus().<JsonObject>request(KoraAddresses.QUERY,
              json("{'bus':{'limit':1}}"));
        })
        .compose(reply -> {
          assertJson(json("{'merge':{'bus':{'a':1}},'delete':{},'version':1}"), reply.body(),
              "answer as over the socket, with its version");
          return vertx.eventBus().<JsonObject>request(KoraAddresses.MUTATE,
              json("{'merge':{'bus':{'c/d':1}}}"));
        })
        .<JsonObject>transform(result -> {
          assertTrue(result.failed(), "a bad key fails");
          KoraReplyException e = assertInstanceOf(KoraReplyException.class, result.cause());
          assertEquals("invalid_key", e.code(), "the code as a field");
          assertEquals(400, e.failureCode(), "the code's HTTP status");
          assertTrue(e.getMessage().contains("c/d"), e.getMessage());
          return vertx.eventBus().<JsonObject>request(KoraAddresses.QUERY,
              json("{'bus':{'limit':-1}}")).map(reply -> reply.body());
        })
        .transform(result -> {
          assertTrue(result.failed(), "a bad query fails");
          KoraReplyException e = assertInstanceOf(KoraReplyException.class, result.cause());
          assertEquals("invalid_query", e.code());
          assertEquals(400, e.failureCode());
          return vertx.eventBus().<JsonObject>request(KoraAddresses.QUERY, json("{'bus':{}}"));
        })
        .map(reply -> {
          assertJson(json("{'merge':{'bus':{'a':1,'b':2}},'delete':{'bus':1},'version':1}"),
              reply.body(), "the refused mutation wrote nothing");
          return null;
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void eventBusRequestsWithoutAJsonObjectBodyAreAnswered(Vertx vertx, VertxTestContext context) {
    // A short timeout: a request the node never answers would otherwise hang for 30 s.
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(2_000);
    List<Future<?>> requests = new ArrayList<>();
    for (String address : List.of(KoraAddresses.MUTATE, KoraAddresses.QUERY)) {
      for (Object body : new Object[] {null, "text"}) {
        requests.add(vertx.eventBus().request(address, body, quick).transform(result -> {
          assertTrue(result.failed(), address + " with " + body);
          KoraReplyException e = assertInstanceOf(KoraReplyException.class, result.cause());
          assertEquals(400, e.failureCode(), () -> address + " with " + body + ": "
              + e.failureType() + " " + e.getMessage());
          assertEquals(address.equals(KoraAddresses.MUTATE) ? "invalid_mutation" : "invalid_query",
              e.code());
          return Future.succeededFuture();
        }));
      }
    }
    Future.all(requests).onComplete(context.succeedingThenComplete());
  }

  @Test
  void committedEventsArePublishedInOrderWithTheirVersions(Vertx vertx, VertxTestContext context) {
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    Context listener = vertx.getOrCreateContext();
    Promise<Void> registered = Promise.promise();
    listener.runOnContext(v -> vertx.eventBus().<CommittedChange>consumer(KoraAddresses.COMMITTED,
        message -> events.add(message.body().toJson())).completion().onComplete(registered));
    int count = 50;
    Set<JsonObject> sent = new HashSet<>();
    registered.future()
        .compose(v -> {
          List<Future<Long>> writes = new ArrayList<>();
          for (int i = 0; i < count; i++) {
            Mutation mutation = i % 5 == 4 ? Mutation.delete(Path.of("c", "k" + (i - 1)))
                : Mutation.merge(Path.of("c", "k" + i), i);
            sent.add(mutation.toJson());
            // half through the embedded API, half through the event bus
            writes.add(i % 2 == 0 ? node.mutate(mutation)
                : vertx.eventBus().<JsonObject>request(KoraAddresses.MUTATE, mutation.toJson())
                    .map(reply -> reply.body().getLong("version")));
          }
          return Future.all(writes);
        })
        .compose(v -> TestNodes.eventually(vertx, node, 5_000, () -> events.size() >= count,
            "all committed events delivered"))
        .compose(v -> {
          Promise<Void> checked = Promise.promise();
          listener.runOnContext(x -> {
            try {
              assertEquals(count, events.size());
              JsonObject model = new JsonObject();
              Set<JsonObject> received = new HashSet<>();
              for (int i = 0; i < count; i++) {
                JsonObject event = events.get(i);
                assertEquals(i + 1L, event.getLong("version"), "in commit order: " + events);
                assertNotNull(event.getJsonObject("mutation"));
                received.add(event.getJsonObject("mutation"));
                Mutation.fromJson(event.getJsonObject("mutation")).applyTo(model);
              }
              assertEquals(sent, received, "each mutation published once, as written");
              checked.complete();
            } catch (Throwable e) {
              checked.fail(e);
            }
          });
          return checked.future();
        })
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void callsBeforeDeployAndAfterUndeployFailWithClosed(Vertx vertx, VertxTestContext context) {
    KoraNode fresh = new KoraNode(TestNodes.memoryOptions().setListen(false));
    fresh.merge(Path.of("a"), 1)
        .transform(result -> {
          assertTrue(result.failed());
          assertEquals("closed", ((KoraException) result.cause()).code(), "before deploy");
          return vertx.deployVerticle(fresh);
        })
        .compose(id -> fresh.merge(Path.of("a"), 1).map(version -> id))
        .compose(id -> vertx.undeploy(id))
        .compose(v -> fresh.merge(Path.of("a"), 2))
        .transform(result -> {
          assertTrue(result.failed(), "after undeploy");
          assertEquals("closed", ((KoraException) result.cause()).code(), "after undeploy: "
              + result.cause());
          return Future.succeededFuture();
        })
        .onComplete(context.succeedingThenComplete());
  }
}
