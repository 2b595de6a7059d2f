package dev.kora.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.TestSocket;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The subscription invariant (PROTOCOL.md) for clients that go away and come back: random mutations
 * from concurrent writers, and subscribers that disconnect at random points and resume with
 * {@code since} (the last version they saw). Every subscriber's copy — its first answer, the pushes,
 * each resume's answer and the pushes after it, applied in order — ends equal to the server's data;
 * the versions it sees only increase. Also with reads slowed down (commits go on while a resume's
 * rows are pulled) and with a log so short that resumes fall back to full answers ({@code reset}).
 * Every run prints its seed; rerun one with {@code -Dkora.invariant.seed=N}.
 */
@ExtendWith(VertxExtension.class)
class ResumeInvariantTest {

  private static final List<String> ROOTS = List.of("r0", "r1");
  private static final List<String> KEYS = List.of("a", "b", "c");
  private static final int WRITERS = 3;
  private static final int MUTATIONS_PER_WRITER = 150;
  private static final int IN_FLIGHT_PER_WRITER = 4;
  private static final List<Path> WATCHED = List.of(Path.of("r0"), Path.of("r0", "a"),
      Path.of("r1", "b", "c"), Path.of("r1"));

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void seed3(Vertx vertx, VertxTestContext ctx) {
    run(vertx, ctx, 3L, TestNodes.memoryOptions());
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void chosenOrFreshSeed(Vertx vertx, VertxTestContext ctx) {
    run(vertx, ctx, Long.getLong("kora.invariant.seed", System.nanoTime()),
        TestNodes.memoryOptions());
  }

  @Test
  @Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
  void slowReads(Vertx vertx, VertxTestContext ctx) {
    run(vertx, ctx, Long.getLong("kora.invariant.seed", 11L),
        new KoraNodeOptions(ThrottledStore.options(UUID.randomUUID() + "?batchDelayMs=20", 8,
            30_000).toJson()));
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void aShortLogMakesResumesReset(Vertx vertx, VertxTestContext ctx) {
    run(vertx, ctx, Long.getLong("kora.invariant.seed", 5L), TestNodes.memoryOptions()
        .setChangeLogMaxEntries(10).setChangeLogTrimIntervalMs(5));
  }

  private void run(Vertx vertx, VertxTestContext ctx, long seed, KoraNodeOptions options) {
    System.out.println("ResumeInvariantTest seed " + seed);
    vertx.getOrCreateContext().runOnContext(v -> new Scenario(vertx, seed, options).run()
        .recover(e -> Future.failedFuture(new AssertionError("seed " + seed
            + " (rerun with -Dkora.invariant.seed=" + seed + "): " + e.getMessage(), e)))
        .onComplete(ctx.succeedingThenComplete()));
  }

  /** A client watching one path, its copy built from answers and pushes. */
  private static final class Watcher {
    final Path path;
    final JsonObject copy = new JsonObject();
    long lastVersion = -1;
    int resumes;
    int resets;
    TestSocket socket;

    Watcher(Path path) {
      this.path = path;
    }

    /** Subscribes (first time) or resumes from the last version seen. */
    Future<Void> subscribe(Vertx vertx, int port) {
      JsonObject options = new JsonObject();
      if (lastVersion >= 0) {
        options.put("since", lastVersion);
        resumes++;
      }
      JsonObject query = new JsonObject();
      Tree.put(query, path, options);
      return TestSocket.connect(vertx, port).compose(connected -> {
        socket = connected;
        return socket.request("kora.subscribe", query);
      }).compose(body -> {
        JsonObject answer = (JsonObject) body;
        long version = answer.getLong("version");
        if (version < lastVersion) {
          return Future.failedFuture(new AssertionError(path + ": answer version " + version
              + " behind " + lastVersion));
        }
        if (Boolean.TRUE.equals(answer.getValue("reset"))) {
          resets++;
        }
        lastVersion = version;
        Mutation.of(answer.getJsonObject("merge"), answer.getJsonObject("delete")).applyTo(copy);
        return Future.succeededFuture();
      });
    }

    /** Applies the pushes received so far, in order. */
    Future<Void> applyPushes() {
      return socket.drain().compose(frames -> {
        try {
          frames.forEach(this::push);
          return Future.succeededFuture();
        } catch (AssertionError e) {
          return Future.failedFuture(e);
        }
      });
    }

    void push(JsonObject frame) {
      if (!"cast".equals(frame.getString("type"))) {
        throw new AssertionError(path + ": unexpected frame " + frame.encode());
      }
      JsonObject body = frame.getJsonObject("body");
      long version = body.getLong("version");
      if (version <= lastVersion) {
        throw new AssertionError(path + ": push " + version + " not after " + lastVersion);
      }
      lastVersion = version;
      Mutation.of(body.getJsonObject("merge"), body.getJsonObject("delete")).applyTo(copy);
    }

    /**
     * Applies what arrived, then goes away; pushes still on the way are lost, as for a real client,
     * and the resume from the last version applied brings their changes.
     */
    Future<Void> disconnect() {
      return applyPushes().compose(v -> {
        TestSocket closing = socket;
        socket = null;
        return closing.close();
      });
    }
  }

  private static final class Scenario {
    final Vertx vertx;
    final long seed;
    final KoraNodeOptions options;
    final Random random;
    final List<Watcher> watchers = new ArrayList<>();
    KoraNode node;

    Scenario(Vertx vertx, long seed, KoraNodeOptions options) {
      this.vertx = vertx;
      this.seed = seed;
      this.options = options;
      this.random = new Random(seed);
      WATCHED.forEach(path -> watchers.add(new Watcher(path)));
    }

    Future<Void> run() {
      return TestNodes.start(vertx, options).compose(started -> {
        node = started;
        List<Future<Void>> first = new ArrayList<>();
        watchers.forEach(w -> first.add(w.subscribe(vertx, node.actualPort())));
        return Future.all(first);
      }).compose(v -> {
        List<Future<Void>> work = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          work.add(writer(new Random(seed * 31 + w)));
        }
        for (Watcher watcher : watchers) {
          work.add(churn(watcher, new Random(seed * 17 + watcher.path.hashCode()), 6));
        }
        return Future.all(work);
      }).compose(v -> {
        List<Future<Void>> checks = new ArrayList<>();
        for (Watcher watcher : watchers) {
          checks.add((watcher.socket == null ? watcher.subscribe(vertx, node.actualPort())
              : Future.<Void>succeededFuture()).compose(x -> watcher.applyPushes())
              .compose(x -> check(watcher)));
        }
        return Future.all(checks).mapEmpty();
      }).compose(v -> {
        int resumes = watchers.stream().mapToInt(w -> w.resumes).sum();
        System.out.println("ResumeInvariantTest seed " + seed + ": " + resumes + " resumes, "
            + watchers.stream().mapToInt(w -> w.resets).sum() + " reset");
        return resumes > 0 ? Future.succeededFuture()
            : Future.failedFuture(new AssertionError("no subscriber resumed"));
      });
    }

    /** Disconnects and resumes a watcher {@code times} times at random moments. */
    Future<Void> churn(Watcher watcher, Random random, int times) {
      if (times == 0) {
        return Future.succeededFuture();
      }
      return sleep(5 + random.nextInt(60))
          .compose(v -> watcher.disconnect())
          .compose(v -> sleep(random.nextInt(40)))
          .compose(v -> watcher.subscribe(vertx, node.actualPort()))
          .compose(v -> churn(watcher, random, times - 1));
    }

    Future<Void> sleep(long ms) {
      Promise<Void> slept = Promise.promise();
      vertx.setTimer(Math.max(1, ms), id -> slept.complete());
      return slept.future();
    }

    Future<Void> check(Watcher watcher) {
      // Pushes the node sent before this answer arrive before it on the same socket: apply them
      // too, once the answer is in (the writers are done, so the answer's version is the last).
      return watcher.socket.request("kora.query", pathQuery(watcher.path)).compose(body ->
          watcher.applyPushes().map(v -> body)).compose(body -> {
        JsonObject answer = (JsonObject) body;
        JsonObject server = Mutation.of(answer.getJsonObject("merge"),
            answer.getJsonObject("delete")).apply(new JsonObject());
        try {
          assertEquals(server, watcher.copy, () -> watcher.path + " after " + watcher.resumes
              + " resumes");
          assertTrue(watcher.lastVersion <= answer.getLong("version"));
        } catch (AssertionError e) {
          return Future.failedFuture(e);
        }
        return Future.succeededFuture();
      });
    }

    static JsonObject pathQuery(Path path) {
      JsonObject query = new JsonObject();
      Tree.put(query, path, new JsonObject());
      return query;
    }

    /** Writes random mutations with a few in flight. */
    Future<Void> writer(Random random) {
      return TestSocket.connect(vertx, node.actualPort()).compose(socket -> {
        List<Future<Void>> lanes = new ArrayList<>();
        for (int lane = 0; lane < IN_FLIGHT_PER_WRITER; lane++) {
          lanes.add(lane(socket, random, MUTATIONS_PER_WRITER / IN_FLIGHT_PER_WRITER));
        }
        return Future.all(lanes).compose(v -> socket.close());
      });
    }

    Future<Void> lane(TestSocket socket, Random random, int left) {
      if (left == 0) {
        return Future.succeededFuture();
      }
      if (random.nextInt(8) == 0) {
        // a leaf, then a subtree written over it, then emptied: the case a plain combination of
        // the log cannot carry (MutationCombiner#unsettled)
        Path path = Path.of(ROOTS.get(random.nextInt(ROOTS.size())),
            KEYS.get(random.nextInt(KEYS.size())));
        Path child = path.child(KEYS.get(random.nextInt(KEYS.size())));
        return socket.request("kora.mutation", wire(Mutation.merge(path, random.nextInt(100))))
            .compose(v -> sleep(10 + random.nextInt(40)))
            .compose(v -> socket.request("kora.mutation", wire(Mutation.merge(child, 1))))
            .compose(v -> sleep(10 + random.nextInt(40)))
            .compose(v -> socket.request("kora.mutation", wire(Mutation.delete(child))))
            .compose(v -> lane(socket, random, left - 1));
      }
      return socket.request("kora.mutation", randomMutation(random))
          .compose(v -> lane(socket, random, left - 1));
    }

    static JsonObject wire(Mutation mutation) {
      return mutation.toJson();
    }

    /**
     * A random mutation over a small key space, so that leaves become subtrees and back, subtrees
     * empty, and deletes hit ancestors of watched paths.
     */
    static JsonObject randomMutation(Random random) {
      JsonObject merge = new JsonObject();
      JsonObject delete = new JsonObject();
      int parts = 1 + random.nextInt(3);
      for (int i = 0; i < parts; i++) {
        List<String> keys = new ArrayList<>();
        keys.add(ROOTS.get(random.nextInt(ROOTS.size())));
        int depth = random.nextInt(3);
        for (int d = 0; d < depth; d++) {
          keys.add(KEYS.get(random.nextInt(KEYS.size())));
        }
        Path path = Path.of(keys);
        int kind = random.nextInt(10);
        if (kind < 3) {
          if (Tree.get(merge, path) == null) {
            Tree.put(delete, path, 1);
          }
        } else if (kind < 5) {
          JsonObject subtree = new JsonObject().put(KEYS.get(random.nextInt(KEYS.size())),
              random.nextInt(100));
          Tree.put(merge, path, subtree);
        } else if (path.size() > 0) {
          Tree.put(merge, path, random.nextInt(2) == 0 ? random.nextInt(100)
              : "s" + random.nextInt(10));
        }
      }
      return new JsonObject().put("merge", merge).put("delete", delete);
    }
  }
}
