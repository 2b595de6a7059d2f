package dev.kora.cli.cluster;

import dev.kora.cli.NodeVertx;
import dev.kora.interceptors.Effect;
import dev.kora.interceptors.EffectHandler;
import dev.kora.interceptors.Interceptor;
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
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/**
 * One member of the clusters the cluster tests start: a child JVM running a clustered node on
 * Hazelcast ({@link HazelcastClusters}), serving on a free port, with an effect that leaves a trace
 * of every run: writing {@code jobs/K} schedules a job that writes {@code runs/K/<fresh id>}, so a
 * job that ran twice leaves two ids. Prints {@code MEMBER <member id>} and {@code PORT <port>} once
 * it serves.
 *
 * <p>Arguments: the store URL, the host (of the node, Hazelcast and the event bus; beyond loopback the
 * node serves without authentication: insecure, for tests only), the Hazelcast port, the event bus
 * port, the members to join ({@code host:port,...}) and the cluster's size.
 */
public final class ClusterMemberMain {

  private ClusterMemberMain() {
  }

  /** Schedules one traced job per write at {@code jobs/K}. */
  static final class TracingPlugin implements KoraPlugin {
    private KoraContext context;

    @Override
    public void start(KoraContext context) {
      this.context = context;
    }

    @Override
    public List<Interceptor> interceptors() {
      return List.of(new Interceptor() {
        @Override
        public PathPattern pattern() {
          return PathPattern.parse("jobs/*");
        }

        @Override
        public List<Effect> effect(MutationLayer layer, Session session) {
          return List.of(Effect.of("trace", new JsonObject().put("key", layer.path().lastKey())));
        }
      });
    }

    @Override
    public List<EffectHandler> effectHandlers() {
      return List.of(EffectHandler.of("trace", (args, attempt) -> context.mutate(Mutation.merge(
          Path.of("runs", args.getString("key"), UUID.randomUUID().toString()), true))
          .mapEmpty()));
    }
  }

  /**
   * @param args store URL, host, Hazelcast port, event bus port, members to join, cluster size
   */
  public static void main(String[] args) throws Exception {
    String host = args[1];
    int size = Integer.parseInt(args[5]);
    List<ClusterMember> join = new java.util.ArrayList<>();
    for (String member : args[4].split(",")) {
      join.add(ClusterMember.parse(member));
    }
    ClusterSettings settings = ClusterSettings.of(null, host, Integer.parseInt(args[2]),
        Integer.parseInt(args[3]), join, size);
    Vertx vertx = HazelcastClusters.start(settings, NodeVertx.options()).await();
    KoraNode node;
    try {
      node = KoraNode.deploy(vertx, new KoraNodeOptions().setHost(host).setPort(0)
              .setInsecure(!host.startsWith("127.")).setStore(new StoreOptions().setUrl(args[0]))
              // retries every 20 ms at first, doubling: 12 attempts span 41 s, longer than a
              // failover may take (10 s), as the defaults' 8 attempts from 1 s span 127 s; with
              // 8 attempts a job whose writes failed through a 3 s failover could fail for good
              .setJobBackoffMs(20).setJobMaxAttempts(12)
              .setClusterSize(size).setClusterTimeoutMs(3_000)
              .addPlugin(new TracingPlugin()))
          .await();
    } catch (RuntimeException | Error e) {
      // Vert.x's threads would keep the process alive, and the test waiting for it would time out
      e.printStackTrace();
      System.exit(1);
      return;
    }
    System.out.println("MEMBER " + ((VertxInternal) vertx).clusterManager().getNodeId());
    System.out.println("PORT " + node.actualPort());
    System.out.flush();
    Thread.currentThread().join();
  }
}
