package dev.kora.node.impl.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.node.core.NodeMetrics;
import dev.kora.storage.Fence;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.storage.TreeReader;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.ClusterManager;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A leader whose store refuses a write with {@code fenced} while membership still names it takes
 * the store over again by itself (after {@link ClusterCoordinator#RETAKE_DELAY_MS}): the case of a
 * Cassandra store that cannot tell a write's outcome and refuses writes until fenced anew, or of a
 * member that briefly believed it led and raised the epoch. The coordinator runs alone (a cluster
 * of one) on a memory store; the member list comes from a cluster manager that answers only what
 * {@link ClusterMembers} asks (this node, alone, active). Another writer's takeover is played by
 * raising the epoch row in the coordinator's store behind its back.
 */
class ClusterRetakeTest {

  private static final long TIMEOUT_MS = 10_000;

  private Vertx vertx;
  private Context context;
  private Store store;
  private ClusterCoordinator coordinator;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    store = Stores.open(vertx, new StoreOptions().setUrl("memory")).await();
    ClusterManager alone = (ClusterManager) Proxy.newProxyInstance(
        ClusterManager.class.getClassLoader(), new Class<?>[] {ClusterManager.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getNodeId" -> "n1";
          case "getNodes" -> List.of("n1");
          case "isActive" -> true;
          case "toString" -> "a cluster of n1 alone";
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> throw new UnsupportedOperationException(method.getName());
        });
    NodeMetrics metrics = new NodeMetrics(new SimpleMeterRegistry(), false);
    coordinator = onContext(() -> {
      ClusterMembers members = new ClusterMembers(vertx, alone, 1);
      ClusterFeed feed = new ClusterFeed(vertx, store, 0);
      ClusterCoordinator created = new ClusterCoordinator(vertx, context, store, members, feed,
          new ClusterCoordinator.Settings(1, TIMEOUT_MS, 512, 10_000), metrics);
      return created.start().map(created);
    });
  }

  @AfterEach
  void tearDown() {
    if (coordinator != null) {
      onContext(() -> {
        coordinator.close();
        return Future.succeededFuture();
      });
    }
    store.close().await();
    vertx.close().await();
  }

  /** Runs {@code action} on the coordinator's context and waits for its result. */
  private <T> T onContext(Supplier<Future<T>> action) {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(result));
    return result.future().await();
  }

  private void awaitLeading() throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000;
    while (!onContext(() -> Future.succeededFuture(coordinator.ordersWrites()))) {
      assertTrue(System.nanoTime() < deadline, "the node leads within " + TIMEOUT_MS + " ms");
      Thread.sleep(20);
    }
  }

  private Object epoch() {
    return TreeReader.read(store, ClusterAddresses.EPOCH, QueryOptions.WHOLE).await();
  }

  @Test
  void aLeaderFencedWhileItShouldLeadTakesTheStoreOverAgain() throws Exception {
    awaitLeading();
    assertEquals(1L, ((Number) epoch()).longValue());
    long first = onContext(() -> coordinator.submit(Mutation.merge(Path.of("a"), 1), "w-1"));

    // another writer takes the store over: the epoch row moves on under the leader's fence
    store.fence(null);
    store.write(List.of(Mutation.merge(ClusterAddresses.EPOCH, 7))).await();
    store.fence(new Fence(ClusterAddresses.EPOCH, "1"));

    KoraException refused = (KoraException) onContext(() -> coordinator.submit(
        Mutation.merge(Path.of("b"), 1), "w-2").transform(done -> Future.succeededFuture(
            done.cause())));
    assertEquals(ErrorCode.CLUSTER_UNAVAILABLE, refused.code(), refused.getMessage());
    long steppedDownAt = System.nanoTime();
    assertFalse(onContext(() -> Future.succeededFuture(coordinator.ordersWrites())),
        "stepped down at once");

    awaitLeading();
    long retakeMs = (System.nanoTime() - steppedDownAt) / 1_000_000;
    assertTrue(retakeMs >= ClusterCoordinator.RETAKE_DELAY_MS - 50, "retook after the delay: "
        + retakeMs + " ms");
    assertEquals(8L, ((Number) epoch()).longValue(), "took over from the epoch it found");
    long next = onContext(() -> coordinator.submit(Mutation.merge(Path.of("c"), 1), "w-3"));
    assertTrue(next > first, "versions go on: " + first + ", then " + next);
    assertEquals(1L, ((Number) TreeReader.read(store, Path.of("c"), QueryOptions.WHOLE).await())
        .longValue());
  }
}
