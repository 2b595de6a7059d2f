package dev.kora.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.QueryLayer;
import dev.kora.interceptors.Resolution;
import dev.kora.interceptors.Session;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.node.Subscription;
import dev.kora.storage.StoreOptions;
import dev.kora.testkit.Eventually;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code filterDelivery} keeps a field out of pushes: a test-only plugin hides the {@code secret} field
 * of {@code docs/<id>} from clients on every way out — pushes ({@code filterDelivery}), reads of a
 * document ({@code resolveQuery}), and reads that would go around both ({@code beforeQuery} refuses
 * {@code docs} whole and {@code docs/<id>/secret}). The server keeps and sees the field.
 */
@ExtendWith(VertxExtension.class)
class FilterDeliveryTest {

  /** The plugin under test: field-level read protection from three hooks. */
  static final class SecretFieldsPlugin implements KoraPlugin {

    private final SecretFields interceptor = new SecretFields();

    @Override
    public void start(KoraContext context) {
      interceptor.context = context;
    }

    @Override
    public List<Interceptor> interceptors() {
      return List.of(interceptor);
    }
  }

  static final class SecretFields implements Interceptor {

    private static final PathPattern PATTERN = PathPattern.parse("docs/{doc}/**");
    KoraContext context;

    @Override
    public PathPattern pattern() {
      return PATTERN;
    }

    @Override
    public InterceptorResult beforeQuery(QueryLayer layer, Session session) {
      if (session.isInternal()) {
        return InterceptorResult.ok();
      }
      if (layer.capture("doc") == null) {
        return InterceptorResult.deny("read one document at a time");
      }
      if (layer.path().size() > 2 && layer.path().key(2).equals("secret")) {
        return InterceptorResult.deny("the secret is kept by the server");
      }
      return InterceptorResult.ok();
    }

    @Override
    public Resolution resolveQuery(QueryLayer layer, Session session) {
      if (session.isInternal() || layer.path().size() != 2) {
        return Resolution.none();
      }
      return Resolution.later(context.read(layer.path(), layer.options()).map(doc -> {
        if (doc instanceof JsonObject json) {
          JsonObject visible = json.copy();
          visible.remove("secret");
          return visible.isEmpty() ? null : visible;
        }
        return doc;
      }));
    }

    @Override
    public Mutation filterDelivery(Path subscribed, Map<String, String> captures, Mutation part,
        Session session) {
      if (session.isInternal()) {
        return part;
      }
      return Mutation.of(strip(part.merge()), strip(part.delete()));
    }

    /** Removes {@code docs/<any>/secret} from a tree rooted at the root. */
    private static JsonObject strip(JsonObject tree) {
      if (tree.getValue("docs") instanceof JsonObject docs) {
        for (String id : docs.fieldNames()) {
          if (docs.getValue(id) instanceof JsonObject doc) {
            doc.remove("secret");
          }
        }
      }
      return tree;
    }
  }

  @TempDir
  java.nio.file.Path tmp;

  private Vertx vertx;
  private KoraNode node;

  @BeforeEach
  void start(Vertx vertx, VertxTestContext context) {
    this.vertx = vertx;
    KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)
            .setStore(new StoreOptions().setUrl("sqlite:" + tmp.resolve("kora.db")))
            .addPlugin(new SecretFieldsPlugin()))
        .onComplete(context.succeeding(started -> {
          node = started;
          context.completeNow();
        }));
  }

  private static JsonObject query(Path path) {
    return Query.of(path, QueryOptions.WHOLE).toJson();
  }

  private static Object at(JsonObject tree, Path path) {
    return Tree.get(tree, path);
  }

  @Test
  void aSubscriberNeverSeesTheHiddenFieldWhileTheServerKeepsIt(VertxTestContext context) {
    Path d1 = Path.of("docs", "d1");
    List<Mutation> serverPushes = new CopyOnWriteArrayList<>();
    Subscription[] serverSide = new Subscription[1];
    node.merge(d1, new JsonObject().put("title", "plan").put("secret", "s0"))
        .compose(v -> node.subscribe(Query.of(d1, QueryOptions.WHOLE), serverPushes::add))
        .compose(subscription -> {
          serverSide[0] = subscription;
          return TestSocket.connect(vertx, node.actualPort(), TestSocket.PATIENT_TIMEOUT_MS);
        })
        .compose(client -> client.request("kora.subscribe", query(d1))
            .compose(initial -> {
              // The subscription's answer already lacks the field...
              JsonObject doc = (JsonObject) at(((JsonObject) initial).getJsonObject("merge"), d1);
              assertEquals(new JsonObject().put("title", "plan"), doc);
              // ...and so does the push of a server write carrying it.
              return node.merge(d1, new JsonObject().put("title", "plan B").put("secret", "s1"));
            })
            .compose(v -> client.nextCast())
            .compose(push -> {
              JsonObject body = push.getJsonObject("body");
              assertEquals("plan B", at(body.getJsonObject("merge"), d1.child("title")));
              assertNull(at(body.getJsonObject("merge"), d1.child("secret")), "push " + body);
              assertFalse(body.encode().contains("s1"), "push " + body);
              // A change of the secret alone is no push at all.
              return node.merge(d1.child("secret"), "s2");
            })
            .compose(v -> node.delete(d1.child("secret")))
            .compose(v -> client.drain())
            .compose(rest -> {
              assertEquals(List.of(), rest, "nothing of the secret reaches the client");
              // Nor can it be read around the filter.
              return client.refused("kora.query", query(d1.child("secret")), ErrorCode.DENIED);
            })
            .compose(v -> client.refused("kora.query", query(Path.of("docs")), ErrorCode.DENIED))
            .compose(v -> client.refused("kora.subscribe", query(Path.of("docs")),
                ErrorCode.DENIED))
            .compose(v -> client.query(query(d1)))
            .map(reply -> {
              assertEquals(new JsonObject().put("title", "plan B"),
                  at(reply.getJsonObject("merge"), d1));
              return null;
            }))
        // The server saw every change, the secret included.
        .compose(v -> node.merge(d1.child("secret"), "s3"))
        .compose(v -> node.query(Query.of(d1, QueryOptions.WHOLE)))
        .compose(answer -> {
          assertEquals(new JsonObject().put("title", "plan B").put("secret", "s3"),
              at(answer.merge(), d1));
          return Eventually.poll(vertx, 5_000, "the server-side subscriber's four pushes",
              () -> Future.succeededFuture(serverPushes.size()), n -> n >= 4);
        })
        .compose(n -> {
          assertEquals("s1", at(serverPushes.get(0).merge(), d1.child("secret")));
          assertEquals("s3", at(serverPushes.get(3).merge(), d1.child("secret")));
          return serverSide[0].close();
        })
        .onComplete(context.succeedingThenComplete());
  }
}
