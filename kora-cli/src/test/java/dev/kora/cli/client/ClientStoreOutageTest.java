package dev.kora.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kora.cli.durability.NodeProcess;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.SubscriptionChange;
import dev.kora.storage.TestServices;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real outage of the node's database (PostgreSQL stopped with {@code scripts/services/postgres.sh
 * stop}) under a node process: the client's writes meet {@code store_unavailable}, stay queued and
 * are retried with backoff; once the database is back they drain by themselves, in order, each
 * applied once (another client sees exactly one push per write). The database is always started again, also when the test fails.
 */
class ClientStoreOutageTest {

  private Vertx vertx;
  private NodeProcess node;
  private KoraClient client;
  private KoraClient observer;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    String url = System.getenv().getOrDefault("KORA_PG_URL",
        "postgres://postgres@127.0.0.1:5432/kora_test");
    String table = "client_outage_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    node = NodeProcess.start(url + "?table=" + table, NodeProcess.freePort(), 90,
        List.of("-Xmx256m"), List.of());
    client = KoraClient.create(vertx, new KoraClientOptions()
        .setUrl("ws://127.0.0.1:" + node.port + "/socket").setReconnectInitialDelayMs(50)
        .setReconnectMaxDelayMs(500)).await();
    observer = KoraClient.create(vertx, new KoraClientOptions()
        .setUrl("ws://127.0.0.1:" + node.port + "/socket")).await();
  }

  @AfterEach
  void tearDown() throws Exception {
    TestServices.run("postgres.sh", "start");
    client.close().await();
    observer.close().await();
    node.close();
    vertx.close().await();
  }

  @Test
  void writesQueueThroughADatabaseOutageAndDrainAfterIt() throws Exception {
    Subscription outage = client.subscribe(Path.of("outage"), change -> { });
    outage.synced().await();
    // Another client counts the commits: each one pushes once, under its own version.
    Set<Long> pushed = ConcurrentHashMap.newKeySet();
    Subscription counted = observer.subscribe(Path.of("outage"), change -> {
      if (change.cause() == SubscriptionChange.Cause.PUSH) {
        pushed.add(change.version());
      }
    });
    counted.synced().await();
    long before = client.merge(Path.of("outage", "before"), 0).await();
    List<Future<Long>> writes = new ArrayList<>();
    TestServices.run("postgres.sh", "stop");
    try {
      for (int i = 1; i <= 20; i++) {
        writes.add(client.merge(Path.of("outage", "count"), i));
        writes.add(client.merge(Path.of("outage", "during", "w" + i), i));
      }
      Thread.sleep(3_000);
      assertFalse(writes.get(0).isComplete(), "the first write waits for the database");
      assertEquals(20, ((JsonObject) outage.value()).getInteger("count"), "shown locally");
    } finally {
      TestServices.run("postgres.sh", "start");
    }
    Set<Long> versions = new HashSet<>();
    for (Future<Long> write : writes) {
      versions.add(write.await());
    }
    assertEquals(writes.size(), versions.size(), "one version per write");
    JsonObject answer = client.query(Query.of(Path.of("outage"), QueryOptions.WHOLE)).await();
    long last = answer.getLong("version");
    dev.kora.testkit.Eventually.poll(vertx, 10_000, "the observer to reach version " + last,
        () -> Future.succeededFuture(counted.version()), seen -> seen == last).await();
    pushed.remove(before);
    assertEquals(versions, pushed, "each queued write committed exactly once (versions may have"
        + " gaps where the outage failed a numbered write)");
    JsonObject data = answer.getJsonObject("merge").getJsonObject("outage");
    assertEquals(20, data.getInteger("count"), "the last write of a path wins: order kept");
    assertEquals(20, data.getJsonObject("during").size());
    long version = answer.getLong("version");
    dev.kora.testkit.Eventually.poll(vertx, 10_000, "the copy to reach version " + version,
        () -> Future.succeededFuture(outage.version()), seen -> seen == version).await();
    assertEquals(data, outage.value());
  }
}
