package dev.kora.node.dataapi;

import static dev.kora.testkit.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.testkit.Eventually;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One suite for the data API, run embedded and through kora-client: writes answer consecutive
 * versions, reads see them, bounded reads page children, refusals carry the node's code, and a
 * subscription's view follows every write.
 */
abstract class DataApiTestBase {

  protected Vertx vertx;
  protected KoraNode node;
  private DataApi api;

  /** @return the API under test, on {@link #node} */
  protected abstract DataApi open() throws Exception;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    node = TestNodes.start(vertx, TestNodes.memoryOptions()).await();
    api = open();
  }

  @AfterEach
  void stop() throws Exception {
    api.close();
    vertx.close().await();
  }

  private long merge(String path, Object value) {
    return api.mutate(Mutation.merge(Path.parse(path), value)).await();
  }

  @Test
  void writesAnswerConsecutiveVersionsAndReadsSeeThem() {
    long first = merge("users/dax", json("{'name':'Dax','langs':['java','elixir']}"));
    assertEquals(first + 1, merge("users/dax/age", 30));
    assertEquals(json("{'name':'Dax','langs':['java','elixir'],'age':30}"),
        api.query(Path.of("users", "dax"), QueryOptions.WHOLE).await());
    assertEquals(first + 2, api.mutate(Mutation.fromJson(json(
        "{'delete':{'users':{'dax':{'langs':1}}},'merge':{'users':{'ann':{'name':'Ann'}}}}")))
        .await());
    assertEquals(first + 3, api.mutate(Mutation.delete(Path.of("users", "dax", "name"))).await());
    assertEquals(first + 4, merge("users/dax/age", null));
    assertEquals(json("{'ann':{'name':'Ann'}}"),
        api.query(Path.of("users"), QueryOptions.WHOLE).await(), "dax lost his last leaf");
    assertNull(api.query(Path.of("users", "dax"), QueryOptions.WHOLE).await());
    assertEquals(first + 4, api.mutate(Mutation.empty()).await(),
        "an empty mutation commits nothing and answers the current version");
  }

  @Test
  void boundedReadsPageChildren() {
    for (String key : new String[] {"a", "b", "c", "d"}) {
      merge("letters/" + key, key.toUpperCase());
    }
    assertEquals(json("{'b':'B','c':'C'}"),
        api.query(Path.of("letters"), new QueryOptions("b", "d", null, false)).await());
    assertEquals(json("{'a':'A'}"),
        api.query(Path.of("letters"), new QueryOptions(null, null, 1, false)).await());
  }

  @Test
  void refusalsCarryTheNodesCode() {
    KoraException denied = assertThrows(KoraException.class,
        () -> api.mutate(Mutation.merge(Path.of("kora:log", "x"), 1)).await());
    assertEquals("denied", denied.code());
    merge("after/refusal", true);
    assertEquals(true, api.query(Path.of("after", "refusal"), QueryOptions.WHOLE).await());
  }

  @Test
  void aSubscriptionFollowsEveryWrite() {
    merge("todos/t1", json("{'title':'milk'}"));
    DataApi.Watch watch = api.watch(Path.of("todos")).await();
    assertEquals(json("{'t1':{'title':'milk'}}"), watch.value());
    merge("todos/t2/title", "bread");
    api.mutate(Mutation.delete(Path.of("todos", "t1"))).await();
    merge("todos/t2/done", true);
    JsonObject expected = json("{'t2':{'title':'bread','done':true}}");
    Eventually.poll(vertx, 5_000, "the view to follow the writes",
        () -> Future.succeededFuture(watch.value()), expected::equals).await();
    assertEquals(expected, api.query(Path.of("todos"), QueryOptions.WHOLE).await());
  }
}
