package dev.kora.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kora.cli.durability.NodeProcess;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.testkit.Eventually;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Several clients write at random over a small shared subtree (so their writes overlap and race)
 * while their connections are cut at random ({@link KoraClient#goOffline}) and the node process is
 * killed with SIGKILL and restarted on the same port mid-run. Afterwards: every write was confirmed,
 * the node's version moved by exactly the number of writes (none lost, none applied twice), every
 * client's copy of every subscription equals the node's data, and each listener's change events,
 * applied in order, add up to that data.
 */
class ClientConvergenceTest {

  private static final int CLIENTS = 3;
  private static final int ROUNDS = 8;
  private static final int WRITES_PER_ROUND = 25;

  private Vertx vertx;
  private java.nio.file.Path folder;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<KoraClient> clients = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    folder = Files.createTempDirectory("kora-convergence");
  }

  @AfterEach
  void tearDown() throws Exception {
    for (KoraClient client : clients) {
      client.close().await();
    }
    for (NodeProcess node : nodes) {
      node.close();
    }
    vertx.close().await();
  }

  @Test
  void clientsConvergeThroughCutsAndNodeCrashes() throws Exception {
    long seed = Long.getLong("kora.seed", System.nanoTime());
    Random random = new Random(seed);
    String store = "sqlite:" + folder.resolve("node.db");
    int port = NodeProcess.freePort();
    nodes.add(NodeProcess.start(store, port, 90, List.of("-Xmx256m"), List.of()));
    List<Subscription> subscriptions = new ArrayList<>();
    // Each listener's changes, applied in order: they must add up to the subscription's value.
    List<JsonObject> replays = new ArrayList<>();
    int[] windows = {1, 4, 64};
    for (int i = 0; i < CLIENTS; i++) {
      KoraClient client = KoraClient.create(vertx, new KoraClientOptions()
          .setUrl("ws://127.0.0.1:" + port + "/socket").setMaxWritesInFlight(windows[i])
          .setReconnectInitialDelayMs(20).setReconnectMaxDelayMs(200)).await();
      clients.add(client);
      for (Path path : List.of(Path.of("shared"), Path.of("shared", "k" + i))) {
        JsonObject replay = new JsonObject();
        replays.add(replay);
        subscriptions.add(client.subscribe(path, change -> {
          synchronized (replay) {
            change.change().applyTo(replay);
          }
        }));
      }
    }
    for (Subscription subscription : subscriptions) {
      subscription.synced().await();
    }
    long start = answer().getLong("version");

    List<Future<Long>> writes = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      for (int i = 0; i < WRITES_PER_ROUND * CLIENTS; i++) {
        KoraClient client = clients.get(random.nextInt(CLIENTS));
        writes.add(client.mutate(randomMutation(random)));
        if (random.nextInt(40) == 0) {
          KoraClient cut = clients.get(random.nextInt(CLIENTS));
          cut.goOffline().compose(v -> {
            Future<Void> back = Future.future(p -> vertx.setTimer(1 + random.nextInt(50),
                id -> p.complete()));
            return back.compose(w -> cut.goOnline());
          });
        }
      }
      if (round == ROUNDS / 2) {
        nodes.get(nodes.size() - 1).kill();
        Thread.sleep(random.nextInt(200));
        nodes.add(NodeProcess.start(store, port, 90, List.of("-Xmx256m"), List.of()));
      }
      Thread.sleep(random.nextInt(100));
    }
    for (KoraClient client : clients) {
      client.goOnline().await();
    }
    for (Future<Long> write : writes) {
      write.await();
    }
    JsonObject server = answer();
    long end = server.getLong("version");
    assertEquals(start + writes.size(), end, "seed " + seed
        + ": every write committed exactly once");
    for (Subscription subscription : subscriptions) {
      Eventually.poll(vertx, 30_000, "seed " + seed + ": " + subscription.path()
          + " to reach version " + end,
          () -> Future.succeededFuture(subscription.version()), version -> version == end).await();
      Object expected = dev.kora.tree.Tree.get(server.getJsonObject("merge"), subscription.path());
      assertEquals(expected, subscription.value(), "seed " + seed + ": " + subscription.path());
      assertEquals(false, subscription.pending());
      JsonObject replay = replays.get(subscriptions.indexOf(subscription));
      synchronized (replay) {
        assertEquals(expected, dev.kora.tree.Tree.get(replay, subscription.path()),
            "seed " + seed + ": the change events of " + subscription.path() + " add up");
      }
    }
    System.out.printf("seed %d: %d writes by %d clients through cuts and a node crash, converged"
        + " at version %d%n", seed, writes.size(), CLIENTS, end);
  }

  private JsonObject answer() {
    return clients.get(0).query(Query.of(Path.of("shared"), QueryOptions.WHOLE)).await();
  }

  private static Mutation randomMutation(Random random) {
    Path path = Path.of("shared", "k" + random.nextInt(CLIENTS + 1));
    int depth = random.nextInt(3);
    for (int level = 0; level < depth; level++) {
      path = path.child("c" + random.nextInt(3));
    }
    return switch (random.nextInt(6)) {
      case 0 -> Mutation.delete(path);
      case 1 -> Mutation.merge(path, new JsonObject().put("a", random.nextInt(9))
          .put("b", new JsonObject().put("c", "v" + random.nextInt(9))));
      case 2 -> Mutation.merge(path, new JsonArray().add(random.nextInt(9)));
      default -> Mutation.merge(path, random.nextInt(1000));
    };
  }
}
