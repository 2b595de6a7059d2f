package dev.kora.node.dataapi;

import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** The data API suite on the embedded API ({@code KoraNode} in the same JVM). */
class EmbeddedDataApiTest extends DataApiTestBase {

  @Override
  protected DataApi open() {
    return new DataApi() {
      @Override
      public Future<Long> mutate(Mutation mutation) {
        return node.mutate(mutation);
      }

      @Override
      public Future<Object> query(Path path, QueryOptions options) {
        return node.query(Query.of(path, options)).map(answer -> Tree.get(answer.merge(), path));
      }

      @Override
      public Future<Watch> watch(Path path) {
        JsonObject copy = new JsonObject();
        List<Mutation> early = new ArrayList<>();
        boolean[] answered = {false};
        return node.subscribe(Query.of(path, QueryOptions.WHOLE), push -> {
          synchronized (copy) {
            if (answered[0]) {
              push.applyTo(copy);
            } else {
              early.add(push); // a push before the answer is applied: it follows the answer
            }
          }
        }).map(subscription -> {
          JsonObject initial = subscription.initial();
          synchronized (copy) {
            Mutation.of(initial.getJsonObject("merge"), initial.getJsonObject("delete"))
                .applyTo(copy);
            early.forEach(push -> push.applyTo(copy));
            answered[0] = true;
          }
          return () -> {
            synchronized (copy) {
              Object value = Tree.get(copy, path);
              return value instanceof JsonObject object ? object.copy() : value;
            }
          };
        });
      }

      @Override
      public void close() {
      }
    };
  }
}
