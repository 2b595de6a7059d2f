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

final class ClusterWriter {

  private static final List<String> KEYS = List.of("a", "b", "c");
  private static final int LANES = 3;

  private final Vertx vertx;
  final int member;
  final TestSocket socket;
  final Random random;
  final Map<String, Long> acknowledged = new ConcurrentHashMap<>();
  final Map<String, Long> jobs = new ConcurrentHashMap<>();
  final List<List<Long>> laneVersions = new ArrayList<>();
  final AtomicLong lastAcknowledgedSentAt = new AtomicLong();
  final AtomicLong lastAcknowledgedAt = new AtomicLong();
  /** Writes refused because the cluster could not order them then (each resent later). */
  final AtomicLong refusals = new AtomicLong();
  final List<Future<Void>> lanes = new ArrayList<>();
  volatile boolean stop;

  ClusterWriter(Vertx vertx, int member, TestSocket socket, Random random) {
    this.vertx = vertx;
    this.member = member;
    this.socket = socket;
    this.random = random;
  }

  void start() {
    for (int lane = 0; lane < LANES; lane++) {
      List<Long> versions = new CopyOnWriteArrayList<>();
      laneVersions.add(versions);
      Promise<Void> done = Promise.promise();
      lanes.add(done.future());
      int laneIndex = lane;
      vertx.runOnContext(v -> send(laneIndex, 0, versions, done));
    }
  }

  Future<Void> idle() {
    return Future.join(lanes).mapEmpty();
  }

  private void send(int lane, int n, List<Long> versions, Promise<Void> done) {
    if (stop || socket.isClosed()) {
      done.tryComplete();
      return;
    }
    String id = "w" + member + "l" + lane + ":" + n;
    String jobKey = null;
    JsonObject mutation;
    synchronized (random) {
      int roll = random.nextInt(10);
      if (roll == 0) {
        jobKey = "m" + member + "l" + lane + "n" + n;
        mutation = new JsonObject().put("merge", new JsonObject().put("jobs",
            new JsonObject().put(jobKey, n)));
      } else if (roll < 3) {
        mutation = new JsonObject().put("delete", new JsonObject().put("r", new JsonObject()
            .put(KEYS.get(random.nextInt(3)), new JsonObject().put(KEYS.get(random.nextInt(3)),
                1))));
      } else {
        mutation = new JsonObject().put("merge", new JsonObject().put("r", new JsonObject()
            .put(KEYS.get(random.nextInt(3)), new JsonObject().put(KEYS.get(random.nextInt(3)),
                random.nextInt(1000)))));
      }
    }
    attempt(lane, n, id, jobKey, mutation.put("id", id), versions, done, System.nanoTime());
  }

  private void attempt(int lane, int n, String id, String jobKey, JsonObject mutation,
      List<Long> versions, Promise<Void> done, long sentAt) {
    if (socket.isClosed()) {
      done.tryComplete();
      return;
    }
    socket.call("kora.mutation", mutation).onComplete(result -> {
      if (result.failed()) {
        done.tryComplete(); // the member died: the outcome of this write is unknown
        return;
      }
      JsonObject frame = result.result();
      if ("reply".equals(frame.getString("type"))) {
        long version = frame.getJsonObject("body").getLong("version");
        acknowledged.put(id, version);
        versions.add(version);
        if (jobKey != null) {
          jobs.put(jobKey, sentAt);
        }
        lastAcknowledgedAt.set(System.nanoTime());
        lastAcknowledgedSentAt.accumulateAndGet(sentAt, Math::max);
        send(lane, n + 1, versions, done);
        return;
      }
      String code = frame.getJsonObject("body", new JsonObject()).getString("code",
          String.valueOf(frame.getValue("body")));
      if ("cluster_unavailable".equals(code) || "store_unavailable".equals(code)) {
        // not acknowledged: resend the same id (exactly once) in a moment
        refusals.incrementAndGet();
        vertx.setTimer(100, t -> attempt(lane, n, id, jobKey, mutation, versions, done,
            System.nanoTime()));
        return;
      }
      done.tryFail(new AssertionError("write " + id + " refused: " + frame.encode()));
    });
  }
}
