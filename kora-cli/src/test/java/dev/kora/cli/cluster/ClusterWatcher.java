package dev.kora.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.testkit.TestSocket;
import dev.kora.tree.Mutation;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A subscriber of {@code r} in the cluster tests; after its member dies it resumes on another with
 * {@code since} ({@link #subscribe}). {@link #check} replays what it received against the data the
 * change log gives.
 */
final class ClusterWatcher {
  final String name;
  final int member;
  final List<TestSocket> sockets = new ArrayList<>();
  final List<Long> subscribeKeys = new ArrayList<>();
  TestSocket socket;
  long version = -1;
  JsonObject copy = new JsonObject();

  ClusterWatcher(String name, int member) {
    this.name = name;
    this.member = member;
  }

  void subscribe(TestSocket on, Long since) {
    JsonObject options = new JsonObject();
    if (since != null) {
      options.put("since", since);
    }
    JsonObject frame = on.call("kora.subscribe", new JsonObject().put("r", options)).await();
    assertEquals("reply", frame.getString("type"), name + ": " + frame.encode());
    socket = on;
    sockets.add(on);
    subscribeKeys.add(((Number) frame.getValue("key")).longValue());
  }

  /** @return the version of the last frame received on the current socket */
  long received() {
    List<JsonObject> frames = socket.frames();
    for (int i = frames.size() - 1; i >= 0; i--) {
      JsonObject body = frames.get(i).getJsonObject("body");
      if (body != null && body.getValue("version") instanceof Number number) {
        return number.longValue();
      }
    }
    return -1;
  }

  /**
   * Replays what this subscriber received: each push must be the next commit that changed
   * {@code r}, and, on a store whose reads are snapshots, each frame must bring the copy to the data
   * at its version. On a store whose reads are not snapshots (Cassandra: docs/stores/cassandra.md),
   * a subscribe's answer may already hold writes committed after its version, which the pushes that
   * follow apply again; there only the order is checked here, and the end state by the caller.
   *
   * @param states the data at {@code r} after each commit that changed it, by version
   * @param snapshotReads whether the store reads snapshots
   */
  void check(TreeMap<Long, JsonObject> states, boolean snapshotReads) {
    copy = new JsonObject();
    version = -1;
    int pushes = 0;
    for (int s = 0; s < sockets.size(); s++) {
      long subscribeKey = subscribeKeys.get(s);
      for (JsonObject frame : sockets.get(s).frames()) {
        String type = frame.getString("type");
        JsonObject body = frame.getJsonObject("body");
        boolean reply = "reply".equals(type)
            && ((Number) frame.getValue("key")).longValue() == subscribeKey;
        boolean push = "cast".equals(type) && "kora.mutation".equals(frame.getString("action"));
        if (!reply && !push) {
          continue;
        }
        long said = body.getLong("version");
        if (push) {
          assertTrue(said > version, name + ": push " + said + " after version " + version);
          Long skipped = states.higherKey(version);
          assertTrue(skipped == null || skipped >= said, name + ": push " + said + " skipped version " + skipped
              + ", which changed r");
          pushes++;
        } else {
          assertTrue(said >= version, name + ": an answer at " + said + " after " + version);
        }
        Mutation.of(body.getJsonObject("merge"), body.getJsonObject("delete")).applyTo(copy);
        if (snapshotReads) {
          JsonObject expected = states.floorEntry(said).getValue();
          assertEquals(expected, copy, name + ": after the frame at version " + said);
        }
        version = said;
      }
    }
    assertTrue(pushes > 0, name + " received pushes");
  }
}
