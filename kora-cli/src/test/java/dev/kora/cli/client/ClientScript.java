package dev.kora.cli.client;

import dev.kora.client.ClientStatus;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.local.SqliteLocalStore;
import dev.kora.tree.Path;
import io.vertx.core.json.Json;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * A client application in its own JVM, for tests that kill and restart it: a {@link KoraClient} on a
 * SQLite local store, subscribed to {@code todos}, reporting on standard output.
 *
 * <ul>
 *   <li>{@code write-offline URL FILE COUNT}: prints {@code synced} once the subscription is answered;
 *       waits until the node is gone, writes COUNT todos offline, prints {@code queued} once they are
 *       in the local store's outbox, then waits to be killed;</li>
 *   <li>{@code resume URL FILE}: prints {@code cached <json>} and {@code pending <n>} from the local
 *       store at once, then, once connected and every write is confirmed and in the cached copy,
 *       {@code final <json>} and {@code version <v>}, and exits.</li>
 * </ul>
 */
public final class ClientScript {

  private ClientScript() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    KoraClient client = KoraClient.create(vertx, new KoraClientOptions().setUrl(args[1])
        .setReconnectInitialDelayMs(50).setReconnectMaxDelayMs(300)
        .setLocalStore(new SqliteLocalStore(args[2]))).await();
    Subscription todos = client.subscribe(Path.of("todos"), change -> { });
    if ("write-offline".equals(args[0])) {
      todos.synced().await();
      say("synced " + todos.version());
      Promise<Void> offline = Promise.promise();
      client.statusHandler(status -> {
        if (status == ClientStatus.OFFLINE) {
          offline.tryComplete();
        }
      });
      if (client.status() == ClientStatus.OFFLINE) {
        offline.tryComplete();
      }
      offline.future().await();
      int count = Integer.parseInt(args[3]);
      for (int i = 1; i <= count; i++) {
        client.merge(Path.of("todos", "offline-" + i), new JsonObject().put("n", i)
            .put("title", "written offline"));
      }
      client.recorded().await();
      say("queued " + client.pendingWrites().size());
      Thread.sleep(600_000);
    } else {
      say("cached " + Json.encode(todos.value()));
      say("pending " + client.pendingWrites().size());
      client.flush().await();
      todos.synced().await();
      long deadline = System.currentTimeMillis() + 60_000;
      while ((!client.pendingWrites().isEmpty() || todos.pending())
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      say("final " + Json.encode(todos.value()));
      say("version " + todos.version());
      client.close().await();
      vertx.close().await();
      System.exit(0);
    }
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
