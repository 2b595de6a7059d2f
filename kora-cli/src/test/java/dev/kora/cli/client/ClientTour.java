package dev.kora.cli.client;

import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.local.SqliteLocalStore;
import dev.kora.tree.Path;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** The tour of docs/client.md, as code: {@link ClientTourTest} runs it and checks the page shows it. */
final class ClientTour {

  private ClientTour() {
  }

  static Object run(Vertx vertx, String url, String cacheFile) {
    // tour:start
    // Connect: the client is ready once its local store is read, connected or not.
    KoraClient client = KoraClient.create(vertx, new KoraClientOptions()
        .setUrl(url)
        .setLocalStore(new SqliteLocalStore(cacheFile))).await();

    // Subscribe: the cached copy at once, then every change as it happens.
    Subscription todos = client.subscribe(Path.of("todos"), change ->
        System.out.println(change.cause() + " " + change.change()
            + (change.pending() ? " (pending)" : "")));
    todos.synced().await();

    // Write: shown in the local view at once; the future completes once durable at the node.
    long version = client.merge(Path.of("todos", "t1"),
        new JsonObject().put("title", "milk")).await();
    System.out.println("t1 committed as version " + version);

    // Offline: reads come from the cache, writes queue in the local store's outbox.
    client.goOffline().await();
    client.merge(Path.of("todos", "t1", "done"), true);
    System.out.println(todos.value() + ", pending: " + todos.pending());
    client.recorded().await(); // the queued write is on disk now
    client.close().await();

    // Restart: the same file brings back the cached data and the queued write.
    KoraClient again = KoraClient.create(vertx, new KoraClientOptions()
        .setUrl(url)
        .setLocalStore(new SqliteLocalStore(cacheFile))).await();
    Subscription restored = again.subscribe(Path.of("todos"), change -> { });
    System.out.println("after restart: " + restored.value()); // at once, before connecting
    again.flush().await(); // connected, resumed with since, the queued write confirmed
    // tour:end
    restored.synced().await();
    Object value = restored.value();
    again.close().await();
    return value;
  }
}
