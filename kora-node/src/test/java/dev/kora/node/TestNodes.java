package dev.kora.node;

import dev.kora.storage.StoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeoutException;
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
   * Evaluates {@code condition} on the node's context every 10 ms until it holds, for at most
   * {@code timeoutMs}; for server-side effects that no frame announces (e.g. the cleanup after a client
   * disconnects).
   */
  public static Future<Void> eventually(Vertx vertx, KoraNode node, long timeoutMs,
      Supplier<Boolean> condition, String what) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    poll(vertx, node, deadline, condition, what, done);
    return done.future();
  }

  private static void poll(Vertx vertx, KoraNode node, long deadline, Supplier<Boolean> condition,
      String what, Promise<Void> done) {
    node.nodeContext().runOnContext(v -> {
      if (condition.get()) {
        done.complete();
      } else if (System.nanoTime() > deadline) {
        done.fail(new TimeoutException("condition never held: " + what));
      } else {
        vertx.setTimer(10, id -> poll(vertx, node, deadline, condition, what, done));
      }
    });
  }

  /** @return the number of (path, subscriber) subscriptions; call on the node's context */
  public static int subscriptionCount(KoraNode node) {
    return node.registry().size();
  }
}
