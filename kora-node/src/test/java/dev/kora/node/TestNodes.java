package dev.kora.node;

import dev.kora.storage.StoreOptions;
import dev.kora.testkit.Eventually;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/** Starting nodes for tests, and small future helpers. */
public final class TestNodes {

  private TestNodes() {
  }

  /** @return options for a node on a free loopback port with the in-memory store */
  public static KoraNodeOptions memoryOptions() {
    return new KoraNodeOptions().setPort(0).setStore(new StoreOptions().setUrl("memory"));
  }

  /** Deploys a listening node with the in-memory store on a free port. */
  public static Future<KoraNode> start(Vertx vertx) {
    return KoraNode.deploy(vertx, memoryOptions());
  }

  /** Deploys a node with the given options. */
  public static Future<KoraNode> start(Vertx vertx, KoraNodeOptions options) {
    return KoraNode.deploy(vertx, options);
  }

  /**
   * Evaluates {@code condition} on the node's context every {@link Eventually#INTERVAL_MS} until it
   * holds, for at most {@code timeoutMs}; for server-side effects that no frame announces (e.g. the
   * cleanup after a client disconnects).
   */
  public static Future<Void> eventually(Vertx vertx, KoraNode node, long timeoutMs,
      Supplier<Boolean> condition, String what) {
    return Eventually.poll(vertx, timeoutMs, what, () -> {
      Promise<Boolean> held = Promise.promise();
      node.nodeContext().runOnContext(v -> {
        try {
          held.complete(condition.get());
        } catch (RuntimeException e) {
          held.fail(e);
        }
      });
      return held.future();
    }, Boolean::booleanValue).mapEmpty();
  }

  /** @return the number of (path, subscriber) subscriptions; call on the node's context */
  public static int subscriptionCount(KoraNode node) {
    return node.coreForTests().registry().size();
  }
}
