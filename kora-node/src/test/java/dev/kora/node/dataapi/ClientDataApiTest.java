package dev.kora.node.dataapi;

import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;

/** The data API suite through kora-client, over a real socket to the node. */
class ClientDataApiTest extends DataApiTestBase {

  @Override
  protected DataApi open() {
    KoraClient client = KoraClient.create(vertx, new KoraClientOptions()
        .setUrl("ws://127.0.0.1:" + node.actualPort() + "/socket")).await();
    return new DataApi() {
      @Override
      public Future<Long> mutate(Mutation mutation) {
        return client.mutate(mutation);
      }

      @Override
      public Future<Object> query(Path path, QueryOptions options) {
        return client.flush().compose(v -> client.query(path, options));
      }

      @Override
      public Future<Watch> watch(Path path) {
        Subscription subscription = client.subscribe(path, change -> { });
        return subscription.synced().map(v -> new Watch() {
          @Override
          public Object value() {
            return subscription.value();
          }
        });
      }

      @Override
      public void close() {
        client.close().await();
      }
    };
  }
}
