package dev.kora.client.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link LocalStore} SPI's conformance suite: every implementation extends it with a way to open
 * a fresh store and to reopen one (for a durable store, a new instance on the same file).
 */
public abstract class LocalStoreTestBase {

  private LocalStore store;

  /** @return a new, empty store */
  protected abstract LocalStore open();

  /**
   * @param closed a store this test closed
   * @return the same store opened again, holding what {@code closed} held
   */
  protected abstract LocalStore reopen(LocalStore closed);

  private LocalStore store() {
    if (store == null) {
      store = open();
    }
    return store;
  }

  private LocalState reopened() {
    store.close();
    store = reopen(store);
    return store.load();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  private static Mutation mutation(String json) {
    return Mutation.fromJson(new JsonObject(json));
  }

  private static JsonObject data(LocalState state, Path path) {
    for (LocalState.CachedPath cached : state.paths()) {
      if (cached.path().equals(path)) {
        return cached.data();
      }
    }
    return null;
  }

  @Test
  void aNewStoreHasAnIdentityAndNothingElse() {
    LocalState state = store().load();
    assertFalse(state.clientId().isEmpty());
    assertEquals(0, state.lastSequence());
    assertTrue(state.paths().isEmpty());
    assertTrue(state.outbox().isEmpty());
  }

  @Test
  void theIdentityOutlivesAReopen() {
    String id = store().load().clientId();
    assertEquals(id, reopened().clientId());
  }

  @Test
  void cachedDataAndItsVersionComeBack() {
    store().load();
    Path todos = Path.of("todos");
    store.apply(todos, mutation("{\"delete\":{\"todos\":1},\"merge\":{\"todos\":{\"t1\":"
        + "{\"title\":\"milk\",\"done\":false,\"tags\":[\"a\",1]}}}}"), 7);
    store.apply(todos, mutation("{\"merge\":{\"todos\":{\"t2\":{\"title\":\"bread\"}}}}"), 9);
    LocalState state = reopened();
    assertEquals(1, state.paths().size());
    assertEquals(9, state.paths().get(0).version());
    assertEquals(new JsonObject("{\"todos\":{\"t1\":{\"title\":\"milk\",\"done\":false,"
        + "\"tags\":[\"a\",1]},\"t2\":{\"title\":\"bread\"}}}"), data(state, todos));
  }

  @Test
  void leavesBecomeBranchesAndBranchesLeaves() {
    store().load();
    Path root = Path.of("a");
    store.apply(root, mutation("{\"merge\":{\"a\":{\"b\":{\"c\":1,\"d\":2}}}}"), 1);
    store.apply(root, mutation("{\"merge\":{\"a\":{\"b\":\"leaf\"}}}"), 2);
    assertEquals(new JsonObject("{\"a\":{\"b\":\"leaf\"}}"), data(reopened(), root));
    store.apply(root, mutation("{\"merge\":{\"a\":{\"b\":{\"x\":true}}}}"), 3);
    assertEquals(new JsonObject("{\"a\":{\"b\":{\"x\":true}}}"), data(reopened(), root));
    store.apply(root, mutation("{\"delete\":{\"a\":{\"b\":1}}}"), 4);
    LocalState state = reopened();
    assertEquals(new JsonObject(), data(state, root));
    assertEquals(4, state.paths().get(0).version());
  }

  @Test
  void aFullAnswerReplacesTheCopy() {
    store().load();
    Path todos = Path.of("todos");
    store.apply(todos, mutation("{\"merge\":{\"todos\":{\"old\":1,\"keep\":{\"x\":1}}}}"), 1);
    store.apply(todos, mutation("{\"delete\":{\"todos\":1},\"merge\":{\"todos\":{\"keep\":"
        + "{\"y\":2}}}}"), 5);
    assertEquals(new JsonObject("{\"todos\":{\"keep\":{\"y\":2}}}"), data(reopened(), todos));
  }

  @Test
  void pathsAreKeptApartAndForgotten() {
    store().load();
    Path a = Path.of("a");
    Path ab = Path.of("a", "b");
    store.apply(a, mutation("{\"merge\":{\"a\":{\"b\":{\"c\":1},\"z\":2}}}"), 3);
    store.apply(ab, mutation("{\"merge\":{\"a\":{\"b\":{\"c\":1}}}}"), 3);
    store.apply(ab, mutation("{\"delete\":{\"a\":{\"b\":1}}}"), 4);
    LocalState state = reopened();
    assertEquals(new JsonObject("{\"a\":{\"b\":{\"c\":1},\"z\":2}}"), data(state, a));
    assertEquals(new JsonObject(), data(state, ab));
    store.forget(a);
    state = reopened();
    assertNull(data(state, a));
    assertEquals(1, state.paths().size());
  }

  @Test
  void keysWithUnusualCharactersRoundTrip() {
    store().load();
    Path path = Path.of("k:1");
    store.apply(path, mutation("{\"merge\":{\"k:1\":{\"é ü\":{\"日本\":\"x\"},\"a.b\":"
        + "123456789012345678901234567890}}}"), 1);
    assertEquals(new JsonObject("{\"k:1\":{\"é ü\":{\"日本\":\"x\"},"
        + "\"a.b\":123456789012345678901234567890}}"), data(reopened(), path));
  }

  @Test
  void theOutboxKeepsOrderAcknowledgementsAndSequences() {
    store().load();
    Mutation first = mutation("{\"merge\":{\"a\":1}}");
    Mutation second = mutation("{\"delete\":{\"b\":1}}");
    store.enqueue(new LocalStore.PendingWrite(1, "c:1", first, null));
    store.enqueue(new LocalStore.PendingWrite(2, "c:2", second, null));
    store.enqueue(new LocalStore.PendingWrite(3, "c:3", first, null));
    store.acknowledge(2, 42);
    store.remove(3);
    store.remove(99);
    LocalState state = reopened();
    assertEquals(List.of(new LocalStore.PendingWrite(1, "c:1", first, null),
        new LocalStore.PendingWrite(2, "c:2", second, 42L)), state.outbox());
    assertEquals(3, state.lastSequence());
    store.remove(1);
    store.remove(2);
    state = reopened();
    assertTrue(state.outbox().isEmpty());
    assertEquals(3, state.lastSequence(), "a sequence is never handed out twice");
  }

  @Test
  void randomChangesMatchApplyingThemToATree() {
    store().load();
    Random random = new Random(42);
    Map<Path, JsonObject> expected = new HashMap<>();
    List<Path> paths = List.of(Path.of("p"), Path.of("q", "r"));
    for (int round = 0; round < 300; round++) {
      Path path = paths.get(random.nextInt(paths.size()));
      Mutation change = randomMutation(random, path);
      store.apply(path, change, round);
      change.applyTo(expected.computeIfAbsent(path, p -> new JsonObject()));
      if (round % 60 == 59) {
        LocalState state = reopened();
        for (Path each : expected.keySet()) {
          assertEquals(expected.get(each), data(state, each), "after round " + round);
        }
      }
    }
  }

  private static Mutation randomMutation(Random random, Path base) {
    JsonObject merge = new JsonObject();
    JsonObject delete = new JsonObject();
    int operations = 1 + random.nextInt(4);
    for (int i = 0; i < operations; i++) {
      Path path = base;
      int depth = random.nextInt(3);
      for (int level = 0; level <= depth; level++) {
        path = path.child("k" + random.nextInt(3));
      }
      if (random.nextInt(4) == 0) {
        put(delete, path, 1);
      } else {
        Object value = switch (random.nextInt(3)) {
          case 0 -> random.nextInt(100);
          case 1 -> "s" + random.nextInt(5);
          default -> new JsonArray().add(random.nextInt(3));
        };
        put(merge, path, value);
      }
    }
    if (random.nextInt(10) == 0) {
      put(delete, base, 1);
    }
    return Mutation.fromJson(new JsonObject().put("merge", merge).put("delete", delete))
        .restrictTo(base);
  }

  private static void put(JsonObject tree, Path path, Object value) {
    JsonObject node = tree;
    for (int i = 0; i < path.size() - 1; i++) {
      Object child = node.getValue(path.key(i));
      if (!(child instanceof JsonObject)) {
        child = new JsonObject();
        node.put(path.key(i), child);
      }
      node = (JsonObject) child;
    }
    node.put(path.lastKey(), value);
  }
}
