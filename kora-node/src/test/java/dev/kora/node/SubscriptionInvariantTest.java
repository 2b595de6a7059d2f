package dev.kora.node;

import dev.kora.node.eventbus.CommittedChange;
import dev.kora.node.eventbus.KoraAddresses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.TestSocket;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The invariant of PROTOCOL.md, with random mutations from concurrent writers: a client that applies
 * its subscribing query's reply and then the pushes, in order, to its copy ends equal to the server's
 * data at the subscribed paths — also when it subscribed while others were writing. A {@code kora.}
 * client knows exactly which state it holds: each reply and push carries the version its data is at
 * (checked against the server's state after that commit). Every run prints
 * its seed; rerun one with {@code -Dkora.invariant.seed=N}.
 */
@ExtendWith(VertxExtension.class)
class SubscriptionInvariantTest {

  private static final List<String> ROOTS = List.of("r0", "r1", "r2");
  private static final List<String> KEYS = List.of("a", "b", "c");
  private static final int WRITERS = 3;
  private static final int MUTATIONS_PER_WRITER = 120;
  private static final int IN_FLIGHT_PER_WRITER = 4;

  @Test
  @Timeout(value = 40, timeUnit = TimeUnit.SECONDS)
  void seed1(Vertx vertx, VertxTestContext context) {
    run(vertx, context, 1L);
  }

  @Test
  @Timeout(value = 40, timeUnit = TimeUnit.SECONDS)
  void seed20240607(Vertx vertx, VertxTestContext context) {
    run(vertx, context, 20240607L);
  }

  @Test
  @Timeout(value = 40, timeUnit = TimeUnit.SECONDS)
  void chosenOrFreshSeed(Vertx vertx, VertxTestContext context) {
    run(vertx, context, Long.getLong("kora.invariant.seed", System.nanoTime()));
  }

  /**
   * Subscribes while reads are slow: each batch of a subscribe's read is answered 30 ms late, so
   * commits go on while its rows are pulled (the store's snapshot and the held pushes keep the
   * answer and the pushes apart).
   */
  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void slowReads(Vertx vertx, VertxTestContext context) {
    run(vertx, context, Long.getLong("kora.invariant.seed", 7L),
        new KoraNodeOptions(ThrottledStore.options(UUID.randomUUID() + "?batchDelayMs=30", 8,
            30_000).toJson()));
  }

  /**
   * A subscribing client: the paths it watches, subscribed by calls made before the writers start
   * ({@code early}) and while they write ({@code late}).
   */
  private static final class Watcher {
    final String name;
    final String prefix;
    final List<List<Path>> early;
    final List<List<Path>> late;
    /** Fraction of all mutations written before the late calls are made. */
    final double lateAt;
    final Promise<Void> lateTrigger = Promise.promise();
    final List<Path> paths = new ArrayList<>();
    final Map<Long, List<Path>> subscribeCalls = new HashMap<>();
    TestSocket socket;

    Watcher(String name, String prefix, List<List<Path>> early, List<List<Path>> late,
        double lateAt) {
      this.name = name;
      this.prefix = prefix;
      this.early = early;
      this.late = late;
      this.lateAt = lateAt;
    }

    /** Sends subscribing calls one after the other. */
    Future<Void> subscribe(List<List<Path>> calls) {
      Future<Void> chain = Future.succeededFuture();
      for (List<Path> call : calls) {
        JsonObject query = new JsonObject();
        for (Path path : call) {
          Tree.put(query, path, new JsonObject());
        }
        chain = chain.compose(v -> socket.call(prefix + ".subscribe", query)).map(frame -> {
          assertEquals("reply", frame.getString("type"), () -> name + ": " + frame.encode());
          subscribeCalls.put(((Number) frame.getValue("key")).longValue(), call);
          paths.addAll(call);
          return null;
        });
      }
      return chain;
    }
  }

  private void run(Vertx vertx, VertxTestContext context, long seed) {
    run(vertx, context, seed, TestNodes.memoryOptions());
  }

  private void run(Vertx vertx, VertxTestContext context, long seed, KoraNodeOptions options) {
    System.out.println("SubscriptionInvariantTest seed " + seed);
    Context scenarioContext = vertx.getOrCreateContext();
    scenarioContext.runOnContext(v -> new Scenario(vertx, seed, options).run()
        .recover(e -> Future.failedFuture(new AssertionError("seed " + seed
            + " (rerun with -Dkora.invariant.seed=" + seed + "): " + e.getMessage(), e)))
        .onComplete(context.succeedingThenComplete()));
  }

  /** One run: a node, watchers, writers, then the checks. Runs on one test context. */
  private static final class Scenario {
    final Vertx vertx;
    final long seed;
    final List<Watcher> watchers = List.of(
        new Watcher("deep", "kora", List.of(List.of(Path.of("r0", "a", "b"))), List.of(), 0),
        new Watcher("parent", "kora", List.of(), List.of(List.of(Path.of("r0", "a"))), 0.2),
        new Watcher("root-level key", "riptide", List.of(List.of(Path.of("r0"))), List.of(), 0),
        new Watcher("two paths", "riptide", List.of(),
            List.of(List.of(Path.of("r0", "b"), Path.of("r1", "a", "c"))), 0.35),
        new Watcher("narrow, then widened", "kora", List.of(List.of(Path.of("r1", "a"))),
            List.of(List.of(Path.of("r1", "b")), List.of(Path.of("r1"))), 0.5));
    final List<JsonObject> committed = new ArrayList<>();
    KoraNode node;
    TestSocket checker;
    int okReplies;

    final KoraNodeOptions options;

    Scenario(Vertx vertx, long seed, KoraNodeOptions options) {
      this.vertx = vertx;
      this.seed = seed;
      this.options = options;
    }

    Future<Void> run() {
      vertx.eventBus().<CommittedChange>consumer(KoraAddresses.COMMITTED, message ->
          committed.add(message.body().toJson()));
      return TestNodes.start(vertx, options)
          .compose(started -> {
            node = started;
            List<Future<TestSocket>> sockets = new ArrayList<>();
            for (int i = 0; i < watchers.size() + 1 + WRITERS; i++) {
              sockets.add(TestSocket.connect(vertx, node.actualPort()));
            }
            return Future.all(sockets);
          })
          .compose(all -> {
            for (int i = 0; i < watchers.size(); i++) {
              watchers.get(i).socket = all.resultAt(i);
            }
            checker = all.resultAt(watchers.size());
            List<TestSocket> writerSockets = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
              writerSockets.add(all.resultAt(watchers.size() + 1 + i));
            }
            List<Future<Void>> early = new ArrayList<>();
            for (Watcher watcher : watchers) {
              early.add(watcher.socket.roundTrip().compose(v -> watcher.subscribe(watcher.early)));
            }
            return Future.all(early).map(v -> writerSockets);
          })
          .compose(writerSockets -> {
            List<Future<Void>> work = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
              work.add(writer(writerSockets.get(w), new Random(seed * 31 + w), w));
            }
            // Subscribe the others while the writers are busy.
            for (Watcher watcher : watchers) {
              if (!watcher.late.isEmpty()) {
                work.add(watcher.lateTrigger.future().compose(v -> watcher.subscribe(watcher.late)));
              }
            }
            return Future.all(work);
          })
          .compose(v -> {
            List<Future<Void>> drained = new ArrayList<>();
            for (Watcher watcher : watchers) {
              drained.add(watcher.socket.roundTrip());
            }
            return Future.all(drained);
          })
          // Every commit has been published; wait until the event bus has delivered them all.
          .compose(v -> node.mutate(Mutation.empty()))
          .compose(version -> TestNodes.eventually(vertx, node, 5_000,
              () -> committed.size() >= version, "all committed events delivered"))
          .compose(v -> checker.request("kora.query", new JsonObject()))
          .map(answer -> {
            assertEquals((long) committed.size(), ((JsonObject) answer).getLong("version"),
                "the checker's answer is at the last version");
            check(((JsonObject) answer).getJsonObject("merge"));
            return null;
          });
    }

    /** One writer: {@link #MUTATIONS_PER_WRITER} random mutations, several in flight at once. */
    Future<Void> writer(TestSocket socket, Random random, int index) {
      List<JsonObject> mutations = new ArrayList<>();
      for (int i = 0; i < MUTATIONS_PER_WRITER; i++) {
        mutations.add(randomMutation(random));
      }
      int[] next = {0};
      List<Future<Void>> lanes = new ArrayList<>();
      for (int lane = 0; lane < IN_FLIGHT_PER_WRITER; lane++) {
        lanes.add(lane(socket, mutations, next, index));
      }
      return Future.all(lanes).mapEmpty();
    }

    Future<Void> lane(TestSocket socket, List<JsonObject> mutations, int[] next, int writer) {
      if (next[0] >= mutations.size()) {
        return Future.succeededFuture();
      }
      JsonObject mutation = mutations.get(next[0]++);
      String action = (writer % 2 == 0 ? "kora" : "riptide") + ".mutation";
      return socket.call(action, mutation).compose(frame -> {
        assertEquals("reply", frame.getString("type"),
            () -> "writer " + writer + " mutation " + mutation.encode() + " -> " + frame.encode());
        if (action.startsWith("kora.")) {
          assertTrue(((JsonObject) frame.getValue("body")).getValue("version") instanceof Number,
              frame::encode);
        } else {
          assertEquals("ok", frame.getValue("body"));
        }
        okReplies++;
        for (Watcher watcher : watchers) {
          if (okReplies >= watcher.lateAt * WRITERS * MUTATIONS_PER_WRITER) {
            watcher.lateTrigger.tryComplete();
          }
        }
        return lane(socket, mutations, next, writer);
      });
    }

    void check(JsonObject server) {
      // The committed mutations, replayed in version order, give the server's tree: each applied whole.
      JsonObject model = new JsonObject();
      List<Mutation> commits = new ArrayList<>();
      for (int i = 0; i < committed.size(); i++) {
        JsonObject event = committed.get(i);
        assertEquals(i + 1L, event.getLong("version"), "versions are 1, 2, 3, ... in order");
        Mutation mutation = Mutation.fromJson(event.getJsonObject("mutation"));
        commits.add(mutation);
        mutation.applyTo(model);
      }
      assertTrue(commits.size() > WRITERS * MUTATIONS_PER_WRITER / 2,
          "most random mutations change something: " + commits.size());
      assertEquals(model, server, "replaying the committed mutations gives the server's tree");

      List<JsonObject> states = new ArrayList<>();
      states.add(new JsonObject());
      for (Mutation mutation : commits) {
        states.add(mutation.apply(states.get(states.size() - 1)));
      }

      for (Watcher watcher : watchers) {
        // Apply the reply, then the pushes, in arrival order. After each step the copy must equal the
        // server's data at the paths subscribed so far as it was after some commit, never going back:
        // no gap, no overlap, and each mutation seen whole.
        JsonObject copy = new JsonObject();
        List<Path> current = new ArrayList<>();
        int version = 0;
        int pushes = 0;
        List<JsonObject> frames = watcher.socket.frames();
        for (int i = 0; i < frames.size(); i++) {
          JsonObject frame = frames.get(i);
          String type = frame.getString("type");
          if ("cast".equals(type)) {
            assertTrue(!current.isEmpty(),
                () -> watcher.name + ": a push arrived before the reply: " + frame);
            assertEquals(watcher.prefix + ".mutation", frame.getString("action"));
            JsonObject body = frame.getJsonObject("body");
            assertTrue(body.containsKey("merge") && body.containsKey("delete"), body::encode);
            assertEquals(watcher.prefix.equals("kora"), body.containsKey("version"), body::encode);
            Mutation.of(body.getJsonObject("merge"), body.getJsonObject("delete")).applyTo(copy);
            pushes++;
          } else if ("reply".equals(type)
              && watcher.subscribeCalls.containsKey(((Number) frame.getValue("key")).longValue())) {
            JsonObject answer = frame.getJsonObject("body");
            Mutation.of(answer.getJsonObject("merge"), answer.getJsonObject("delete"))
                .applyTo(copy);
            current.addAll(watcher.subscribeCalls.get(((Number) frame.getValue("key")).longValue()));
          } else {
            assertEquals("reply", type, () -> watcher.name + ": unexpected frame " + frame);
            continue;
          }
          int from = version;
          if (watcher.prefix.equals("kora")) {
            // The frame says which state the copy is at now: exactly the server's after that
            // commit (no gap, no overlap), and pushes only move forward.
            long said = frame.getJsonObject("body").getLong("version");
            boolean push = "cast".equals(type);
            assertTrue(push ? said > from : said >= from, () -> watcher.name + ": frame "
                + frame.encode() + " has version " + said + " after version " + from);
            assertTrue(said < states.size(), () -> watcher.name + ": version " + said + " of "
                + frame.encode() + " was never committed");
            int at = (int) said;
            version = restrict(states.get(at), current).equals(restrict(copy, current)) ? at : -1;
          } else {
            version = firstMatch(states, from, copy, current);
          }
          if (version < 0) {
            throw new AssertionError(watcher.name + ": after frame " + i + " (" + frame.encode()
                + ") the copy " + restrict(copy, current) + " is no state of the server at "
                + current + " from version " + from + " on (or not the one the frame says); at "
                + from + " it was " + restrict(states.get(from), current));
          }
        }

        JsonObject restricted = new JsonObject();
        for (Path path : watcher.paths) {
          Object mine = Tree.get(copy, path);
          Object theirs = Tree.get(server, path);
          if (!Objects.equals(mine, theirs)) {
            throw new AssertionError(watcher.name + " at " + path + ": the copy holds " + mine
                + " but the server " + theirs);
          }
          if (mine != null) {
            Tree.put(restricted, path, mine);
          }
        }
        assertEquals(restricted, copy, watcher.name + ": pushes put nothing outside " + watcher.paths);

        int touching = 0;
        int changing = 0;
        JsonObject before = new JsonObject();
        for (Mutation mutation : commits) {
          JsonObject after = mutation.apply(before);
          boolean touches = false;
          boolean changes = false;
          for (Path path : watcher.paths) {
            touches |= mutation.touches(path);
            changes |= !Objects.equals(Tree.get(before, path), Tree.get(after, path));
          }
          touching += touches ? 1 : 0;
          changing += changes ? 1 : 0;
          before = after;
        }
        int received = pushes;
        int touched = touching;
        assertTrue(received <= touched, () -> watcher.name + ": " + received
            + " pushes for only " + touched + " mutations touching its paths (at most once each)");
        if (watcher.late.isEmpty()) {
          int expectedAtLeast = changing;
          assertTrue(received >= expectedAtLeast, () -> watcher.name + ": " + received
              + " pushes but " + expectedAtLeast + " mutations changed its data");
          assertTrue(received > 10, watcher.name + " saw real traffic: " + received);
        }
      }
    }

    JsonObject randomMutation(Random random) {
      switch (random.nextInt(12)) {
        case 0:
        case 1:
        case 2:
          return new JsonObject().put("merge", nest(randomPath(random), randomSubtree(random, 2)));
        case 3:
        case 4:
          return new JsonObject().put("merge", nest(randomPath(random), randomLeaf(random)));
        case 5:
          return new JsonObject().put("delete", nest(randomPath(random), 1));
        case 6:
          return new JsonObject().put("merge", nest(randomPath(random), null));
        case 7: {
          // A delete and a merge in one mutation; deletes apply first.
          return new JsonObject().put("delete", nest(randomPath(random), 1))
              .put("merge", nest(randomPath(random), randomSubtree(random, 1)));
        }
        case 8:
        case 9:
        case 10: {
          // Several writes and deletes at once, combined into one valid wire form.
          Mutation combined = Mutation.empty();
          for (int i = 0, n = 2 + random.nextInt(3); i < n; i++) {
            Path path = randomPath(random);
            combined = combined.combine(random.nextInt(4) == 0 ? Mutation.delete(path)
                : Mutation.merge(path, random.nextBoolean() ? randomLeaf(random)
                    : randomSubtree(random, 1)));
          }
          return combined.toJson();
        }
        default:
          // A leaf at a root-level key or one below it: wipes whole subscribed subtrees.
          return new JsonObject().put("merge", nest(Path.of(ROOTS.get(random.nextInt(2)))
              .child(KEYS.get(random.nextInt(KEYS.size()))).prefix(1 + random.nextInt(2)),
              randomLeaf(random)));
      }
    }
  }

  /** @return the first version at or after {@code from} whose tree equals {@code copy} at {@code paths} */
  private static int firstMatch(List<JsonObject> states, int from, JsonObject copy, List<Path> paths) {
    JsonObject mine = restrict(copy, paths);
    for (int v = from; v < states.size(); v++) {
      if (restrict(states.get(v), paths).equals(mine)) {
        return v;
      }
    }
    return -1;
  }

  /** @return the parts of {@code tree} at {@code paths}, as a tree from the root */
  private static JsonObject restrict(JsonObject tree, List<Path> paths) {
    JsonObject result = new JsonObject();
    for (Path path : paths) {
      Object value = Tree.get(tree, path);
      if (value != null) {
        Tree.put(result, path, value instanceof JsonObject ? ((JsonObject) value).copy() : value);
      }
    }
    return result;
  }

  private static Path randomPath(Random random) {
    int roll = random.nextInt(20);
    int depth = roll < 2 ? 1 : roll < 7 ? 2 : roll < 14 ? 3 : 4;
    Path path = Path.of(ROOTS.get(random.nextInt(ROOTS.size())));
    while (path.size() < depth) {
      path = path.child(KEYS.get(random.nextInt(KEYS.size())));
    }
    return path;
  }

  private static Object randomLeaf(Random random) {
    int n = random.nextInt(100);
    switch (random.nextInt(5)) {
      case 0:
        return n;
      case 1:
        return "s" + n;
      case 2:
        return n % 2 == 0;
      case 3:
        return n + 0.5;
      default:
        return new JsonArray().add(n).add("x");
    }
  }

  private static JsonObject randomSubtree(Random random, int depth) {
    JsonObject tree = new JsonObject();
    for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
      String key = KEYS.get(random.nextInt(KEYS.size()));
      tree.put(key, depth > 0 && random.nextInt(3) == 0 ? randomSubtree(random, depth - 1)
          : randomLeaf(random));
    }
    return tree;
  }

  private static JsonObject nest(Path path, Object value) {
    Object node = value;
    for (int i = path.size() - 1; i >= 0; i--) {
      node = new JsonObject().put(path.key(i), node);
    }
    return (JsonObject) node;
  }
}
