package dev.kora.cli.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A mutation that fails on its own fails alone, inside a batch the node's sequencer hands to a real
 * store in one go: on PostgreSQL a leaf path longer than its btree allows is {@code too_large}, while
 * the mutations queued around it commit, in order, with increasing versions (the failed one's number
 * stays unused: versions are chosen before the store answers, as they are written with the data). The store isolates the failure ({@code Store.writeEach}); the node retries nothing.
 */
class MutationIsolationTest {

  private Vertx vertx;
  private KoraNode node;
  private final String table = "isolation_" + UUID.randomUUID().toString().replace("-", "")
      .substring(0, 8);

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    String url = System.getenv().getOrDefault("KORA_PG_URL",
        "postgres://postgres@127.0.0.1:5432/kora_test");
    node = KoraNode.deploy(vertx, new KoraNodeOptions().setListen(false)
        .setStore(new StoreOptions().setUrl(url + "?table=" + table))).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void aMutationThatFailsOnItsOwnFailsAloneAndTheOthersCommitInOrder() {
    // 4 keys of 700 bytes: within the key rules, beyond PostgreSQL's 2,692-byte stored path limit
    String key = "k".repeat(700);
    Mutation tooLong = Mutation.merge(Path.of("bad", key, key, key, key), 1);
    int count = 41;
    int badAt = 20;
    List<Future<Long>> writes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      // submitted in one event-loop turn: they wait together and reach the store as one batch
      writes.add(i == badAt ? node.mutate(tooLong) : node.merge(Path.of("good", "k" + i), i));
    }
    Future.join(writes).otherwiseEmpty().await();
    KoraException refused = (KoraException) writes.get(badAt).cause();
    assertEquals(ErrorCode.TOO_LARGE, refused.code(), refused.getMessage());
    long previous = 0;
    for (int i = 0; i < count; i++) {
      if (i != badAt) {
        assertTrue(writes.get(i).succeeded(), "mutation " + i + " committed");
        long version = writes.get(i).result();
        // the refused one's number stays unused: the versions after it skip it
        assertEquals(previous == 0 ? version : previous + (i == badAt + 1 ? 2 : 1), version,
            "versions in order, with one gap where the refused mutation was");
        previous = version;
      }
    }
    JsonObject good = node.query(Query.of(Path.of("good"), QueryOptions.WHOLE)).await().toJson()
        .getJsonObject("merge").getJsonObject("good");
    assertEquals(count - 1, good.size(), "every other mutation is stored");
    assertEquals(null, node.query(Query.of(Path.of("bad"), QueryOptions.WHOLE)).await().toJson()
        .getJsonObject("merge").getValue("bad"), "nothing of the refused one");
  }
}
