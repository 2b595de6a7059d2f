package dev.kora.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.storage.Store;
import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a cluster committed, as its change log in the shared store says ({@code kora:log}: version,
 * id and mutation of every commit), and the checks of the cluster tests against it.
 */
final class ClusterHistory {

  /** Version to {@code {"id": ..., "mutation": ...}}. */
  private final TreeMap<Long, JsonObject> log;

  private ClusterHistory(TreeMap<Long, JsonObject> log) {
    this.log = log;
  }

  /**
   * @param store the cluster's store
   * @return the change log the cluster wrote, read from the store
   */
  static ClusterHistory read(Store store) {
    TreeMap<Long, JsonObject> log = new TreeMap<>();
    ChangeLog.Cursor cursor = ChangeLog.open(store, 0).await();
    try {
      for (List<ChangeLog.Entry> page = cursor.next(1_000).await(); !page.isEmpty();
          page = cursor.next(1_000).await()) {
        for (ChangeLog.Entry entry : page) {
          log.put(entry.version(), new JsonObject().put("id", entry.id())
              .put("mutation", entry.mutation().toJson()));
        }
      }
    } finally {
      cursor.close().await();
    }
    return new ClusterHistory(log);
  }

  /** @return the data at {@code r} after each version that changed it, as {@code {"r": ...}} */
  TreeMap<Long, JsonObject> statesOfR() {
    TreeMap<Long, JsonObject> states = new TreeMap<>();
    JsonObject tree = new JsonObject();
    states.put(0L, new JsonObject());
    for (Map.Entry<Long, JsonObject> entry : log.entrySet()) {
      Mutation touching = Mutation.fromJson(entry.getValue().getJsonObject("mutation"))
          .restrictTo(Path.of("r"));
      if (!touching.isEmpty()) {
        touching.applyTo(tree);
        states.put(entry.getKey(), tree.containsKey("r")
            ? new JsonObject().put("r", tree.getJsonObject("r").copy()) : new JsonObject());
      }
    }
    return states;
  }

  /**
   * Checks one commit order: every acknowledged write is in the log at the version it was
   * acknowledged with, under its id; no id is in the log twice; each lane's consecutive writes have
   * increasing versions.
   */
  void checkAcknowledged(List<ClusterWriter> writers) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (JsonObject entry : log.values()) {
      String id = entry.getString("id");
      assertTrue(id == null || ids.add(id), "id " + id + " was committed twice");
    }
    int acknowledged = 0;
    for (ClusterWriter writer : writers) {
      for (Map.Entry<String, Long> write : writer.acknowledged.entrySet()) {
        JsonObject entry = log.get(write.getValue());
        assertTrue(entry != null, "acknowledged write " + write.getKey() + " (version "
            + write.getValue() + ") is in the log");
        assertEquals(write.getKey(), entry.getString("id"), "version " + write.getValue()
            + " is the write acknowledged with it");
        acknowledged++;
      }
      for (List<Long> lane : writer.laneVersions) {
        for (int i = 1; i < lane.size(); i++) {
          assertTrue(lane.get(i) > lane.get(i - 1), "a writer's consecutive writes commit in"
              + " order: " + lane);
        }
      }
    }
    System.out.printf("cluster: %d acknowledged writes, all in the log in order; %d log entries%n",
        acknowledged, log.size());
    assertTrue(acknowledged > 100, "the writers got writes through: " + acknowledged);
  }
}
