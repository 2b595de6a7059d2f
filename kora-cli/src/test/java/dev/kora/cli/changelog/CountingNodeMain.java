package dev.kora.cli.changelog;

import dev.kora.cli.NodeVertx;
import dev.kora.interceptors.Effect;
import dev.kora.interceptors.EffectHandler;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.InterceptorResult;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.interceptors.MutationLayer;
import dev.kora.interceptors.PathPattern;
import dev.kora.interceptors.Session;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/**
 * The node {@link ExactlyOnceAcrossKillNineTest} kills: a child JVM serving on a free port over the
 * store URL given as the only argument, with an interceptor and an effect that leave a trace of every
 * application: writing {@code counted/K} makes the interceptor add {@code applications/K/<fresh id>}
 * and schedule an effect job that writes {@code effects/K/<the same id>} (the job may run more than
 * once, as jobs do; its trace is the same each time). A mutation applied twice would leave two ids.
 * The interceptor is synchronous, so the id its beforeMutation made is the one its effect reads
 * (both run in one call of the chain, on the node's thread).
 * Prints {@code PORT <port>} once it serves.
 */
public final class CountingNodeMain {

  private CountingNodeMain() {
  }

  /** The plugin: one fresh id per interception, shared by the addition and the effect job. */
  static final class CountingPlugin implements KoraPlugin {
    private KoraContext context;

    @Override
    public void start(KoraContext context) {
      this.context = context;
    }

    @Override
    public List<Interceptor> interceptors() {
      return List.of(new Interceptor() {
        private final ThreadLocal<String> token = new ThreadLocal<>();

        @Override
        public PathPattern pattern() {
          return PathPattern.parse("counted/*");
        }

        @Override
        public InterceptorResult beforeMutation(MutationLayer layer, Session session) {
          String id = UUID.randomUUID().toString();
          token.set(id);
          return InterceptorResult.combine(Mutation.merge(
              Path.of("applications", layer.path().lastKey(), id), true));
        }

        @Override
        public List<Effect> effect(MutationLayer layer, Session session) {
          return List.of(Effect.of("trace", new JsonObject().put("key", layer.path().lastKey())
              .put("id", token.get())));
        }
      });
    }

    @Override
    public List<EffectHandler> effectHandlers() {
      return List.of(EffectHandler.of("trace", (args, attempt) -> context.mutate(Mutation.merge(
          Path.of("effects", args.getString("key"), args.getString("id")), true)).mapEmpty()));
    }
  }

  /**
   * @param args the store URL
   */
  public static void main(String[] args) throws Exception {
    Vertx vertx = NodeVertx.create();
    KoraNode node = KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)
            .setStore(new StoreOptions().setUrl(args[0])).setJobBackoffMs(20)
            .addPlugin(new CountingPlugin()))
        .await();
    System.out.println("PORT " + node.actualPort());
    System.out.flush();
    Thread.currentThread().join();
  }
}
